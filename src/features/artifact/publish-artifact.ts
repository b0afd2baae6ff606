import { createHash } from 'node:crypto';
import { GLOBAL_MBOX, type StoredActivity, VIEW_PREFIX } from '../decisioning/activity.js';
import { allocationCondition } from '../decisioning/allocation.js';
import { type CompiledActivity, compileActivities, NO_VISIT } from '../decisioning/compiled-activities.js';
import { conditionProblem, isOperation } from '../decisioning/conditions.js';
import type { EventTokenKey } from '../decisioning/event-tokens.js';
import { ACTIVITY_RESPONSE_TOKENS, DEFAULT_RESPONSE_TOKENS } from '../decisioning/response-tokens.js';

/**
 * Publishing: a client's activities as Adobe's rules artifact (format 1.x), the file Adobe's SDK
 * (2.4.x, `on-device` and `hybrid` modes) downloads and decides with on the device. For every
 * location that the device can decide, its rules decide exactly what profile-edge's `decide()`
 * decides; every other location is listed as remote, so that `hybrid` asks profile-edge.
 *
 * Rules, per location, in profile-edge's decision order: one per experience of each live activity,
 * whose condition is
 *   and( startsAt ≤ current_timestamp, current_timestamp < endsAt,
 *        !!(activity audience),  allocation range (ab) | !!(experience audience) (xt) )
 * Audiences are wrapped in `!!` because an audience admits by JsonLogic truthiness (`[]` admits
 * nobody) while the engine's verdict on a whole rule is JavaScript truthiness.
 *
 * For an mbox the engine takes the first matching rule: decision order is enough. For the page
 * load (`target-global-mbox`) and views it combines every matching rule, while profile-edge lets
 * one activity decide: each rule there is published as the winner chain, its condition adding
 * "no activity before this one decides" (an earlier activity decides when it is in its window, its
 * audience admits and — xt — one of its experiences' audiences admits; an ab activity always has
 * an experience for the visitor). Rules after an activity that always decides are left out. When a
 * chained condition would exceed the condition limits, the location is listed as remote instead.
 *
 * Remote (listed in `remoteMboxes` / `remoteViews`, left out of `localMboxes` / `localViews`, and
 * without rules): a location some live activity offers at, where that activity's conditions read
 * what the device does not have (`profile.*`, `user.*` other than the engine's browser fields,
 * `allocation`, or names computed at run time), or where its offer holds a visitor token
 * (`${profile.…}`, `${user.…}`, `${mbox.…}`: the engine renders none as profile-edge does), or an
 * html offer whose text still holds a `${…}` the engine would replace with a value of its own. The
 * SDK's `hybrid` mode asks the server for a request as soon as one requested location is remote or
 * not local (its `hasRemoteDependency`); the engine never reads the rules of remote locations, so
 * leaving them out only keeps `on-device` mode from deciding them without the visitor's profile.
 *
 * Never in the artifact: profile data of any kind. Only activities, their offers (with the
 * activity's own tokens already written) and their signed event tokens (which do not depend on the
 * visitor). The output is deterministic (fixed key order, locations sorted), so a hash of its JSON
 * is the same on every node: see `artifactEtag`.
 */

// biome-ignore lint/suspicious/noExplicitAny: the artifact is JSON, shaped by Adobe's format
type Json = any;

export interface AdobeRule {
  ruleKey: string;
  activityId: string;
  meta: Record<string, Json>;
  condition: Json;
  consequence: { name: string; options: { type: string; eventToken: string; content: Json }[]; metrics: Json[] };
}

export interface AdobeArtifact {
  version: string;
  meta: { clientCode: string; environment: string };
  globalMbox: string;
  geoTargetingEnabled: boolean;
  responseTokens: string[];
  remoteMboxes: string[];
  remoteViews: string[];
  localMboxes: string[];
  localViews: string[];
  rules: { mboxes: Record<string, AdobeRule[]>; views: Record<string, AdobeRule[]> };
}

export interface PublishOptions {
  /** Key that signs the event tokens (the same tokens the server answers). */
  eventTokenKey: EventTokenKey;
  /** Adobe's geo lookup from the device's ip; off unless the client chooses it. */
  geoTargetingEnabled?: boolean;
  /** The client's response-token list (the defaults otherwise); only those the engine can fill are published. */
  responseTokens?: readonly string[];
}

export const ARTIFACT_VERSION = '1.0.0';

/** Response tokens the engine fills on the device: from the rule's `meta`, and the geo it knows. */
const DEVICE_RESPONSE_TOKENS: ReadonlySet<string> = new Set([
  ...ACTIVITY_RESPONSE_TOKENS,
  'geo.city',
  'geo.country',
  'geo.state',
  'geo.latitude',
  'geo.longitude',
]);

/** The browser fields the engine computes itself under `user`. */
const DEVICE_USER_FIELDS: ReadonlySet<string> = new Set(['browserType', 'browserVersion', 'platform', 'locale']);

/** The engine's campaign-macro pattern: any such `${…}` left in an html offer is replaced on the device. */
const ENGINE_MACRO = /\$\{[a-zA-Z0-9_.]*?\}/;

/**
 * The full `var` names a condition reads (`mbox.tier`, `user.browserType`), or `'any'` when that
 * cannot be known without evaluating it. Names read inside `filter`/`map`/… read the elements.
 */
export function conditionVariables(logic: unknown): ReadonlySet<string> | 'any' {
  const names = new Set<string>();
  let any = false;
  const visit = (value: unknown, scoped: boolean): void => {
    if (any) return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, scoped);
      return;
    }
    if (!isOperation(value)) return;
    const op = Object.keys(value)[0]!;
    const raw = value[op];
    const args: readonly unknown[] = Array.isArray(raw) ? raw : [raw];
    if (op === 'missing' || op === 'missing_some') {
      any = true;
      return;
    }
    if (op === 'var') {
      const [name] = args;
      if (Array.isArray(name) || isOperation(name)) any = true;
      else if (!scoped) {
        if (name === undefined || name === '' || name === null) any = true;
        else names.add(String(name));
      }
      for (const rest of args.slice(1)) visit(rest, scoped);
      return;
    }
    if (op === 'filter' || op === 'map' || op === 'reduce' || op === 'all' || op === 'none' || op === 'some') {
      visit(args[0], scoped);
      visit(args[1], true);
      return;
    }
    for (const item of args) visit(item, scoped);
  };
  visit(logic, false);
  return any ? 'any' : names;
}

/** True when the engine's context on the device holds the same value under this name as profile-edge's. */
function deviceReadable(name: string): boolean {
  const [root, field] = name.split('.');
  if (root === 'profile' || root === 'allocation') return false;
  if (root === 'user') return field !== undefined && DEVICE_USER_FIELDS.has(field);
  return true;
}

function conditionsOf(source: StoredActivity): unknown[] {
  const conditions: unknown[] = [];
  if (source.audience !== undefined) conditions.push(source.audience);
  if (source.type === 'xt')
    for (const experience of source.experiences) if (experience.audience !== undefined) conditions.push(experience.audience);
  return conditions;
}

/** Why the device cannot decide this activity at this location, or null when it can. */
function remoteReason(source: StoredActivity, compiled: CompiledActivity, location: string): string | null {
  for (const condition of conditionsOf(source)) {
    const names = conditionVariables(condition);
    if (names === 'any') return 'a condition reads names computed at run time';
    for (const name of names) if (!deviceReadable(name)) return `a condition reads ${name}`;
  }
  for (const experience of compiled.experiences) {
    const offer = experience.offers.get(location)!;
    if (!offer.constant) return `experience ${experience.id} has a visitor token in its offer`;
    if (offer.type === 'html' && ENGINE_MACRO.test(String(offer.render(NO_VISIT))))
      return `experience ${experience.id} has a \${…} the engine would replace`;
  }
  return null;
}

const all = (parts: readonly unknown[]): unknown => (parts.length === 0 ? true : parts.length === 1 ? parts[0] : { and: parts });

/** The activity's window and audience, as conditions. */
function admission(source: StoredActivity, compiled: CompiledActivity): unknown[] {
  const parts: unknown[] = [];
  if (Number.isFinite(compiled.startsAt)) parts.push({ '<=': [compiled.startsAt, { var: 'current_timestamp' }] });
  if (Number.isFinite(compiled.endsAt)) parts.push({ '<': [{ var: 'current_timestamp' }, compiled.endsAt] });
  if (source.audience !== undefined) parts.push({ '!!': [source.audience] });
  return parts;
}

/** When the activity decides the location for the visitor (whichever experience), or true when always. */
function decidesCondition(source: StoredActivity, compiled: CompiledActivity): unknown {
  const parts = admission(source, compiled);
  if (source.type === 'xt' && source.experiences.every((experience) => experience.audience !== undefined)) {
    parts.push({ or: source.experiences.map((experience) => ({ '!!': [experience.audience] })) });
  }
  return all(parts);
}

function rulesOf(
  location: string,
  activities: readonly CompiledActivity[],
  sources: ReadonlyMap<string, StoredActivity>,
  chained: boolean,
): AdobeRule[] | null {
  const rules: AdobeRule[] = [];
  const earlier: unknown[] = [];
  const name = location.startsWith(VIEW_PREFIX) ? location.slice(VIEW_PREFIX.length) : location;
  for (const compiled of activities) {
    const source = sources.get(compiled.id)!;
    const window = admission(source, compiled);
    if (chained && earlier.length > 0) window.push({ '!': [{ or: [...earlier] }] });
    // xt, chained: an experience also needs that no earlier experience of its activity matches.
    const earlierExperiences: unknown[] = [];
    for (const [i, experience] of compiled.experiences.entries()) {
      const parts = [...window];
      const sourceExperience = source.experiences[i]!;
      if (compiled.type === 'ab') {
        const range = compiled.ranges[i]!;
        if (range.from === range.to) continue; // no visitor gets it
        parts.push(allocationCondition(range));
      } else {
        if (chained && earlierExperiences.length > 0) parts.push({ '!': [{ or: [...earlierExperiences] }] });
        if (sourceExperience.audience !== undefined) parts.push({ '!!': [sourceExperience.audience] });
      }
      const offer = experience.offers.get(location)!;
      const meta: Record<string, Json> = {};
      for (const [token, value] of offer.responseTokens) meta[token] = value;
      meta['audience.ids'] = [];
      rules.push({
        ruleKey: `${compiled.id}.${experience.id}.${location}`,
        activityId: compiled.id,
        meta,
        condition: all(parts),
        consequence: {
          name,
          options: [{ type: offer.type, eventToken: experience.displayToken, content: offer.render(NO_VISIT) }],
          metrics: experience.metrics.map((metric) => ({ type: 'click', eventToken: metric.eventToken })),
        },
      });
      if (compiled.type === 'xt') {
        if (sourceExperience.audience === undefined) break; // everyone left gets this one
        earlierExperiences.push({ '!!': [sourceExperience.audience] });
      }
    }
    if (!chained) continue;
    const decides = decidesCondition(source, compiled);
    if (decides === true) break; // no later activity can win here
    earlier.push(decides);
  }
  if (chained && rules.some((rule) => conditionProblem(rule.condition) !== null)) return null;
  return rules;
}

/** The client's rules artifact: see the module comment. */
export function publishArtifact(client: string, activities: readonly StoredActivity[], options: PublishOptions): AdobeArtifact {
  const index = compileActivities(activities, { client, eventTokenKey: options.eventTokenKey });
  const sources = new Map(activities.map((activity) => [activity.id, activity]));
  const mboxes: Record<string, AdobeRule[]> = {};
  const views: Record<string, AdobeRule[]> = {};
  const remoteMboxes: string[] = [];
  const remoteViews: string[] = [];
  const locations = [...index.byLocation.keys()].sort();
  if (!index.byLocation.has(GLOBAL_MBOX)) mboxes[GLOBAL_MBOX] = []; // a page load with nothing to show stays on the device
  for (const location of locations) {
    const list = index.byLocation.get(location)!;
    const isView = location.startsWith(VIEW_PREFIX);
    const chained = isView || location === GLOBAL_MBOX;
    const local = list.every((compiled) => remoteReason(sources.get(compiled.id)!, compiled, location) === null);
    const rules = local ? rulesOf(location, list, sources, chained) : null;
    const name = isView ? location.slice(VIEW_PREFIX.length) : location;
    if (!rules) (isView ? remoteViews : remoteMboxes).push(name);
    else Object.defineProperty(isView ? views : mboxes, name, { value: rules, enumerable: true, writable: true, configurable: true });
  }
  const tokens = (options.responseTokens ?? DEFAULT_RESPONSE_TOKENS).filter((token) => DEVICE_RESPONSE_TOKENS.has(token));
  return {
    version: ARTIFACT_VERSION,
    meta: { clientCode: client, environment: 'production' },
    globalMbox: GLOBAL_MBOX,
    geoTargetingEnabled: options.geoTargetingEnabled ?? false,
    responseTokens: [...new Set(tokens)],
    remoteMboxes: remoteMboxes.sort(),
    remoteViews: remoteViews.sort(),
    localMboxes: Object.keys(mboxes).sort(),
    localViews: Object.keys(views).sort(),
    rules: { mboxes: sortedKeys(mboxes), views: sortedKeys(views) },
  };
}

function sortedKeys<T>(record: Record<string, T>): Record<string, T> {
  const sorted: Record<string, T> = {};
  for (const key of Object.keys(record).sort())
    Object.defineProperty(sorted, key, { value: record[key], enumerable: true, writable: true, configurable: true });
  return sorted;
}

/** The artifact's JSON text, as served (its key order is fixed by `publishArtifact`). */
export function artifactJson(artifact: AdobeArtifact): string {
  return JSON.stringify(artifact);
}

/** A strong ETag for the artifact's JSON text: the same text gives the same tag on every node. */
export function artifactEtag(json: string): string {
  return `"${createHash('sha256').update(json).digest('base64url').slice(0, 32)}"`;
}
