import { BadRequestError } from '../../errors.js';
import { GLOBAL_MBOX } from '../decisioning/activity.js';
import { type CompiledCondition, compileCondition, conditionProblem, conditionReads } from '../decisioning/conditions.js';
import type { ContextParts } from '../decisioning/context.js';

/**
 * Importing: Adobe's rules artifact (format 1.x, as Adobe's CDN serves it for a Target account, or
 * as profile-edge publishes it) read, checked and compiled for server-side decisions
 * (`decide-imported.ts`), so that a client migrating from Target gets the decisions Adobe's engine
 * would make on the device.
 *
 * Accepted: `version` 1.x (the engine's own rule: the major version must be 1); `rules.mboxes` and
 * `rules.views`, objects of location → list of rules; a rule has a JsonLogic `condition` (the
 * engine's operators, within the condition limits), a `consequence` `{name, options, metrics}`, a
 * `meta` object with `activity.id` (allocation hashes it), and optionally `ruleKey` and
 * `propertyTokens`. The other top-level fields are optional, with the engine's defaults. Anything
 * else refused with a message naming the field (`rules.mboxes["hero"][2].condition …`).
 */

// biome-ignore lint/suspicious/noExplicitAny: artifact values are JSON, checked field by field
type Json = any;

export class ArtifactValidationError extends BadRequestError {
  constructor(message: string) {
    super(message, 'invalid_artifact');
  }
}

export const ARTIFACT_LIMITS = {
  /** Rules of all locations together (Adobe's full test artifact has a few hundred). */
  maxRules: 20_000,
  maxLocations: 10_000,
  maxOptionsPerRule: 100,
  maxMetricsPerRule: 100,
  maxNameLength: 250,
} as const;

export interface ImportedOption {
  type?: string;
  content?: Json;
  eventToken?: string;
  [field: string]: Json;
}

export interface ImportedMetric {
  type?: string;
  eventToken?: string;
  [field: string]: Json;
}

export interface ImportedRule {
  /** As written (the engine combines rules by it, even when absent). */
  ruleKey: unknown;
  /** `meta["activity.id"]` as text: what allocation hashes. */
  activityId: string;
  propertyTokens: readonly string[];
  condition: unknown;
  consequence: { name: string; options: readonly ImportedOption[]; metrics: readonly ImportedMetric[] };
  meta: Readonly<Record<string, Json>>;
}

export interface ImportedArtifact {
  version: string;
  clientCode?: string;
  globalMbox: string;
  geoTargetingEnabled: boolean;
  responseTokens: readonly string[];
  remoteMboxes: readonly string[];
  remoteViews: readonly string[];
  localMboxes: readonly string[];
  localViews: readonly string[];
  /** Location → rules, in the artifact's order. */
  mboxes: ReadonlyMap<string, readonly ImportedRule[]>;
  views: ReadonlyMap<string, readonly ImportedRule[]>;
}

const isObject = (value: unknown): value is Record<string, Json> => typeof value === 'object' && value !== null && !Array.isArray(value);

function fail(message: string): never {
  throw new ArtifactValidationError(message);
}

const quoted = (name: string) => JSON.stringify(name.slice(0, 64));

function names(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) fail(`${where} must be an array of strings`);
  return value as string[];
}

function readRule(value: unknown, where: string): ImportedRule {
  if (!isObject(value)) fail(`${where} must be an object`);
  if (!('condition' in value)) fail(`${where}.condition is required`);
  const problem = conditionProblem(value.condition);
  if (problem) fail(`${where}.condition ${problem}`);
  const meta = value.meta;
  if (!isObject(meta)) fail(`${where}.meta must be an object`);
  const activityId = meta['activity.id'];
  if ((typeof activityId !== 'string' || activityId === '') && typeof activityId !== 'number')
    fail(`${where}.meta["activity.id"] must be a string or a number`);
  const consequence = value.consequence;
  if (!isObject(consequence)) fail(`${where}.consequence must be an object`);
  if (typeof consequence.name !== 'string' || consequence.name.length > ARTIFACT_LIMITS.maxNameLength)
    fail(`${where}.consequence.name must be a string of at most ${ARTIFACT_LIMITS.maxNameLength} characters`);
  const options = consequence.options ?? [];
  if (!Array.isArray(options) || options.length > ARTIFACT_LIMITS.maxOptionsPerRule || !options.every(isObject))
    fail(`${where}.consequence.options must be an array of at most ${ARTIFACT_LIMITS.maxOptionsPerRule} objects`);
  options.forEach((option, i) => {
    if (option.type !== undefined && typeof option.type !== 'string') fail(`${where}.consequence.options[${i}].type must be a string`);
    if (option.eventToken !== undefined && typeof option.eventToken !== 'string')
      fail(`${where}.consequence.options[${i}].eventToken must be a string`);
    if (option.type === 'actions' && !Array.isArray(option.content))
      fail(`${where}.consequence.options[${i}].content must be an array of actions`);
  });
  const metrics = consequence.metrics ?? [];
  if (!Array.isArray(metrics) || metrics.length > ARTIFACT_LIMITS.maxMetricsPerRule || !metrics.every(isObject))
    fail(`${where}.consequence.metrics must be an array of at most ${ARTIFACT_LIMITS.maxMetricsPerRule} objects`);
  return {
    ruleKey: value.ruleKey,
    activityId: String(activityId),
    propertyTokens: names(value.propertyTokens, `${where}.propertyTokens`),
    condition: value.condition,
    consequence: { name: consequence.name, options, metrics },
    meta,
  };
}

function readLocations(value: unknown, where: string, counts: { rules: number; locations: number }): Map<string, ImportedRule[]> {
  const locations = new Map<string, ImportedRule[]>();
  if (value === undefined) return locations;
  if (!isObject(value)) fail(`${where} must be an object of location → rules`);
  for (const [name, rules] of Object.entries(value)) {
    const here = `${where}[${quoted(name)}]`;
    if (++counts.locations > ARTIFACT_LIMITS.maxLocations) fail(`rules must have at most ${ARTIFACT_LIMITS.maxLocations} locations`);
    if (!Array.isArray(rules)) fail(`${here} must be an array of rules`);
    counts.rules += rules.length;
    if (counts.rules > ARTIFACT_LIMITS.maxRules) fail(`rules must hold at most ${ARTIFACT_LIMITS.maxRules} rules`);
    locations.set(
      name,
      rules.map((rule, i) => readRule(rule, `${here}[${i}]`)),
    );
  }
  return locations;
}

/** The artifact's content, or `ArtifactValidationError` naming the first field that is wrong. */
export function readAdobeArtifact(value: unknown): ImportedArtifact {
  if (!isObject(value)) fail('an artifact must be a JSON object');
  const version = value.version;
  if (typeof version !== 'string' || !/^1(\.\d+){0,2}$/.test(version))
    fail(`version must be "1.x" (this server reads Adobe's artifact format 1), not ${JSON.stringify(version)?.slice(0, 32)}`);
  const meta = value.meta ?? {};
  if (!isObject(meta)) fail('meta must be an object');
  if (meta.clientCode !== undefined && typeof meta.clientCode !== 'string') fail('meta.clientCode must be a string');
  const globalMbox = value.globalMbox ?? GLOBAL_MBOX;
  if (typeof globalMbox !== 'string' || globalMbox === '') fail('globalMbox must be a non-empty string');
  if (value.geoTargetingEnabled !== undefined && typeof value.geoTargetingEnabled !== 'boolean')
    fail('geoTargetingEnabled must be a boolean');
  if (!isObject(value.rules)) fail('rules must be an object with mboxes and views');
  const counts = { rules: 0, locations: 0 };
  return {
    version,
    ...(typeof meta.clientCode === 'string' ? { clientCode: meta.clientCode } : {}),
    globalMbox,
    geoTargetingEnabled: value.geoTargetingEnabled ?? false,
    responseTokens: names(value.responseTokens, 'responseTokens'),
    remoteMboxes: names(value.remoteMboxes, 'remoteMboxes'),
    remoteViews: names(value.remoteViews, 'remoteViews'),
    localMboxes: names(value.localMboxes, 'localMboxes'),
    localViews: names(value.localViews, 'localViews'),
    mboxes: readLocations(value.rules.mboxes, 'rules.mboxes', counts),
    views: readLocations(value.rules.views, 'rules.views', counts),
  };
}

export interface CompiledRule extends ImportedRule {
  readonly compiled: CompiledCondition;
}

/** An imported artifact ready to decide: each condition compiled once. */
export interface ImportedDecisions {
  /** The client code allocation hashes (Adobe's client code, for the same experiences as on the device). */
  readonly client: string;
  readonly globalMbox: string;
  readonly responseTokens: readonly string[];
  readonly mboxes: ReadonlyMap<string, readonly CompiledRule[]>;
  readonly views: ReadonlyMap<string, readonly CompiledRule[]>;
  /** Every view's rules, in the artifact's order: a view request without a name. */
  readonly allViewRules: readonly CompiledRule[];
  readonly remoteMboxes: ReadonlySet<string>;
  readonly remoteViews: ReadonlySet<string>;
  readonly localMboxes: ReadonlySet<string>;
  readonly localViews: ReadonlySet<string>;
  /** The parts of the decision context some condition reads. */
  readonly reads: ContextParts;
}

export interface CompileImportOptions {
  /** The client code for allocation; the artifact's `meta.clientCode` by default. */
  client?: string;
}

/** Compiles an imported artifact's conditions, once. */
export function compileImportedArtifact(artifact: ImportedArtifact, options: CompileImportOptions = {}): ImportedDecisions {
  const client = options.client ?? artifact.clientCode;
  if (client === undefined) fail('meta.clientCode is required (allocation hashes the client code)');
  const roots = new Set<string>();
  let any = false;
  const compile = (rules: readonly ImportedRule[]): CompiledRule[] =>
    rules.map((rule) => {
      const reads = conditionReads(rule.condition);
      if (reads === 'any') any = true;
      else for (const name of reads) roots.add(name);
      return { ...rule, compiled: compileCondition(rule.condition) };
    });
  const mboxes = new Map([...artifact.mboxes].map(([name, rules]) => [name, compile(rules)] as const));
  const views = new Map([...artifact.views].map(([name, rules]) => [name, compile(rules)] as const));
  return {
    client,
    globalMbox: artifact.globalMbox,
    responseTokens: artifact.responseTokens,
    mboxes,
    views,
    allViewRules: [...views.values()].flat(),
    remoteMboxes: new Set(artifact.remoteMboxes),
    remoteViews: new Set(artifact.remoteViews),
    localMboxes: new Set(artifact.localMboxes),
    localViews: new Set(artifact.localViews),
    reads: any ? 'any' : roots,
  };
}
