import { allocationValue, allocationVisitorId } from '../decisioning/allocation.js';
import {
  buildDecisionContext,
  contextForLocation,
  type DecisionContext,
  type ParseDomain,
  parseDomainPublicSuffix,
  withAllocation,
} from '../decisioning/context.js';
import type { ConditionFailure, LocationRequest, Mode, ResponseTokenValue, Visit } from '../decisioning/decide.js';
import type { CompiledRule, ImportedDecisions, ImportedMetric, ImportedOption } from './import-artifact.js';

/**
 * Server-side decisions over an imported Adobe artifact, made as Adobe's engine
 * (`@adobe/target-decisioning-engine` 1.9.3) makes them on the device:
 * - an mbox takes the first rule that matches (rules whose `propertyTokens` exclude the request's
 *   property are skipped); the global mbox requested as an mbox answers once per matching rule,
 *   and nothing when none matches;
 * - the page load takes every matching rule (a `ruleKey` once), options concatenated, click
 *   metrics merged by event token;
 * - a view takes every matching rule of that view, a view request without a name every matching
 *   rule of every view; answers grouped by the consequence's name;
 * - a rule matches when its condition is JavaScript-true over the engine's context with the
 *   visitor's `allocation` in the rule's activity (`meta["activity.id"]`); the context is the
 *   engine's: no profile, no profile-script outputs (Adobe publishes rules that need them as remote);
 * - executed options lose their event token and blank options, and carry the click metrics;
 *   prefetched options carry their event token (or the display metric's at the same index), and
 *   only views keep their metrics;
 * - response tokens: the artifact's `responseTokens` found in the rule's `meta`, the geo ones from
 *   the request's geo, and `activity.decisioningMethod` `server-side`;
 * - campaign macros in html content (and in `actions` contents): `${campaign.name}`,
 *   `${offer.id}`, `${mbox.name}`, `${mbox.<param>}` … looked up, as the engine does, in the rule's
 *   `meta`, then the request's location, then its parameters; left as written when none has it.
 * A condition that fails while evaluated does not match and is reported (the engine fails the
 * request). Answers have the shape of `decide()`'s, so delivery can answer either.
 */

export interface ImportedAnswerOption extends ImportedOption {
  responseTokens: Record<string, ResponseTokenValue>;
}

/** What matched, for reports and tracing: Adobe's ids as text. */
export interface ImportedMatch {
  activityId: string;
  experienceId?: string;
  ruleKey: unknown;
}

export interface ImportedAnswer {
  request: LocationRequest;
  /** `target-global-mbox`, the mbox name, `view:<name>`. */
  location: string;
  options: ImportedAnswerOption[];
  metrics?: ImportedMetric[];
  matched: ImportedMatch[];
}

export interface ImportedResult {
  answers: ImportedAnswer[];
  conditionFailures: ConditionFailure[];
  /** Requested locations the artifact marks as decided by Adobe's servers (or not local): answered empty here. */
  remoteMboxes: string[];
  remoteViews: string[];
}

export interface DecideImportedOptions {
  parseDomain?: ParseDomain;
  /** The request's `property.token` (at.js property): rules limited to other properties are skipped. */
  propertyToken?: string;
}

const MACRO = /\$\{([a-zA-Z0-9_.]*?)\}/gi;
const MACRO_RENAMES: Readonly<Record<string, string>> = { campaign: 'activity', recipe: 'experience' };
const META_TOKENS = [
  'activity.id',
  'activity.name',
  'activity.type',
  'experience.id',
  'experience.name',
  'location.id',
  'location.name',
  'location.type',
  'offer.id',
  'offer.name',
  'option.id',
  'option.name',
];

interface Consequence {
  name: string;
  options: ImportedAnswerOption[];
  metrics: ImportedMetric[];
  match: ImportedMatch;
}

/** The request's location as the engine sees it, for macros: its wire fields. */
function requestDetailOf(request: LocationRequest, name: string | undefined): Record<string, unknown> {
  const detail: Record<string, unknown> = {};
  if (name !== undefined) detail.name = name;
  if (request.index !== undefined) detail.index = request.index;
  if (request.parameters !== undefined) detail.parameters = request.parameters;
  if (request.address !== undefined) detail.address = request.address;
  return detail;
}

function firstMatch(key: string, haystacks: readonly unknown[], fallback: string): unknown {
  for (const haystack of haystacks) {
    if (haystack !== null && (typeof haystack === 'object' || typeof haystack === 'function')) {
      const value = (haystack as Record<string, unknown>)[key];
      if (value !== undefined) return value;
    }
  }
  return fallback;
}

function renderMacros(content: unknown, meta: Readonly<Record<string, unknown>>, detail: Record<string, unknown>): unknown {
  if (typeof content !== 'string') return content;
  return content.replace(MACRO, (whole, macroKey: string) => {
    let parts = macroKey.replace(/campaign|recipe/gi, (matched) => MACRO_RENAMES[matched] ?? matched).split('.');
    if (parts.length > 2) parts = parts.slice(parts.length - 2);
    const key = parts.filter((part) => part !== 'mbox').join('.');
    return String(firstMatch(key, [meta, detail, detail.parameters ?? {}], whole));
  });
}

class ImportedDecider {
  private base: DecisionContext | undefined;
  private readonly allocations = new Map<string, number>();
  private readonly visitorId: string;
  private readonly visitTokens: Record<string, ResponseTokenValue>;
  readonly failures: ConditionFailure[] = [];

  constructor(
    private readonly decisions: ImportedDecisions,
    private readonly visit: Visit,
    private readonly options: DecideImportedOptions,
  ) {
    this.visitorId = allocationVisitorId(visit.ids) ?? visit.ids.tntId;
    const tokens: Record<string, ResponseTokenValue> = { 'activity.decisioningMethod': 'server-side' };
    const geo = visit.context?.geo ?? {};
    const listed = new Set(decisions.responseTokens);
    const geoTokens: [string, unknown][] = [
      ['geo.city', geo.city],
      ['geo.country', geo.countryCode],
      ['geo.state', geo.stateCode],
      ['geo.latitude', geo.latitude],
      ['geo.longitude', geo.longitude],
    ];
    for (const [name, value] of geoTokens) {
      if (listed.has(name) && value !== undefined) tokens[name] = value as ResponseTokenValue;
    }
    this.visitTokens = tokens;
  }

  private parseDomain(): ParseDomain {
    return this.options.parseDomain ?? parseDomainPublicSuffix;
  }

  private baseContext(): DecisionContext {
    this.base ??= buildDecisionContext(
      { context: this.visit.context, now: this.visit.now, parseDomain: this.parseDomain() },
      this.decisions.reads,
    );
    return this.base;
  }

  private allocation(activityId: string): number {
    let value = this.allocations.get(activityId);
    if (value === undefined) {
      value = allocationValue(this.decisions.client, activityId, this.visitorId);
      this.allocations.set(activityId, value);
    }
    return value;
  }

  private forProperty(rule: CompiledRule): boolean {
    const token = this.options.propertyToken;
    return token === undefined ? rule.propertyTokens.length === 0 : rule.propertyTokens.length === 0 || rule.propertyTokens.includes(token);
  }

  /** The rule's consequence for this request, or undefined when it does not match. */
  private evaluate(rule: CompiledRule, request: LocationRequest, kind: 'mbox' | 'view', location: string, detail: Record<string, unknown>) {
    const context = withAllocation(
      contextForLocation(this.baseContext(), request, this.parseDomain(), this.decisions.reads),
      this.allocation(rule.activityId),
    );
    let matched: boolean;
    try {
      matched = rule.compiled.test(context);
    } catch (error) {
      this.failures.push({ activityId: rule.activityId, location, message: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
    return matched ? this.consequence(rule, request.mode, kind, detail) : undefined;
  }

  private consequence(rule: CompiledRule, mode: Mode, kind: 'mbox' | 'view', detail: Record<string, unknown>): Consequence {
    const source = structuredClone(rule.consequence);
    let options: ImportedOption[];
    let metrics: ImportedMetric[];
    if (mode === 'execute') {
      options = source.options
        .filter((option) => !(option.type === undefined && option.content === undefined))
        .map(({ eventToken: _token, ...option }) => option);
      metrics = source.metrics.filter((metric) => metric.type === 'click');
    } else {
      options = source.options.map((option, i) => {
        const display = source.metrics[i];
        const eventToken = option.eventToken ?? (display?.type === 'display' ? display.eventToken : undefined);
        return { ...option, eventToken };
      });
      metrics = kind === 'view' ? [...source.metrics] : [];
    }
    const fromMeta: Record<string, ResponseTokenValue> = {};
    for (const name of META_TOKENS) {
      if (this.decisions.responseTokens.includes(name) && rule.meta[name] !== undefined) fromMeta[name] = rule.meta[name];
    }
    const answered = options.map((option): ImportedAnswerOption => {
      const withTokens: ImportedAnswerOption = { ...option, responseTokens: { ...fromMeta, ...this.visitTokens } };
      if (option.type === 'html') withTokens.content = renderMacros(option.content, rule.meta, detail);
      else if (option.type === 'actions' && Array.isArray(option.content))
        withTokens.content = option.content.map((action: Record<string, unknown>) => ({
          ...action,
          content: renderMacros(action.content, rule.meta, detail),
        }));
      if (withTokens.eventToken === undefined) delete withTokens.eventToken;
      return withTokens;
    });
    const experienceId = rule.meta['experience.id'];
    return {
      name: rule.consequence.name,
      options: answered,
      metrics,
      match: {
        activityId: rule.activityId,
        ...(experienceId === undefined ? {} : { experienceId: String(experienceId) }),
        ruleKey: rule.ruleKey,
      },
    };
  }

  /** Every matching rule, a ruleKey once. */
  private every(rules: readonly CompiledRule[], request: LocationRequest, kind: 'mbox' | 'view', location: string, name?: string) {
    const seen = new Set<unknown>();
    const out: Consequence[] = [];
    for (const rule of rules) {
      if (!this.forProperty(rule) || seen.has(rule.ruleKey)) continue;
      const detail = requestDetailOf(request, name ?? (kind === 'view' ? request.name : undefined));
      const consequence = this.evaluate(rule, request, kind, location, detail);
      if (!consequence) continue;
      seen.add(rule.ruleKey);
      out.push(consequence);
    }
    return out;
  }

  mbox(request: LocationRequest, name: string): ImportedAnswer[] {
    const rules = this.decisions.mboxes.get(name) ?? [];
    if (name === this.decisions.globalMbox) {
      return this.every(rules, request, 'mbox', name, name).map((c) => ({
        request,
        location: name,
        options: c.options,
        ...(c.metrics.length > 0 ? { metrics: c.metrics } : {}),
        matched: [c.match],
      }));
    }
    const detail = requestDetailOf(request, name);
    for (const rule of rules) {
      if (!this.forProperty(rule)) continue;
      const c = this.evaluate(rule, request, 'mbox', name, detail);
      if (c)
        return [
          { request, location: name, options: c.options, ...(c.metrics.length > 0 ? { metrics: c.metrics } : {}), matched: [c.match] },
        ];
    }
    return [{ request, location: name, options: [], matched: [] }];
  }

  pageLoad(request: LocationRequest): ImportedAnswer {
    const name = this.decisions.globalMbox;
    const consequences = this.every(this.decisions.mboxes.get(name) ?? [], request, 'mbox', name, name);
    const metrics = new Map<unknown, ImportedMetric>();
    for (const c of consequences) for (const metric of c.metrics) metrics.set(metric.eventToken, metric);
    return {
      request,
      location: name,
      options: consequences.flatMap((c) => c.options),
      ...(metrics.size > 0 ? { metrics: [...metrics.values()] } : {}),
      matched: consequences.map((c) => c.match),
    };
  }

  views(request: LocationRequest): ImportedAnswer[] {
    const rules = request.name !== undefined ? (this.decisions.views.get(request.name) ?? []) : this.decisions.allViewRules;
    const grouped = new Map<string, Consequence[]>();
    for (const c of this.every(rules, request, 'view', `view:${request.name ?? '*'}`)) {
      const list = grouped.get(c.name);
      if (list) list.push(c);
      else grouped.set(c.name, [c]);
    }
    return [...grouped].map(([name, list]) => {
      const metrics = list.flatMap((c) => c.metrics);
      return {
        request,
        location: `view:${name}`,
        options: list.flatMap((c) => c.options),
        ...(metrics.length > 0 || request.mode === 'prefetch' ? { metrics } : {}),
        matched: list.map((c) => c.match),
      };
    });
  }
}

/** The answers of every requested location, in request order, as the engine would give them. */
export function decideImported(
  decisions: ImportedDecisions,
  visit: Visit,
  locations: readonly LocationRequest[],
  options: DecideImportedOptions = {},
): ImportedResult {
  const decider = new ImportedDecider(decisions, visit, options);
  const answers: ImportedAnswer[] = [];
  const remoteMboxes = new Set<string>();
  const remoteViews = new Set<string>();
  for (const request of locations) {
    if (request.kind === 'pageLoad') {
      answers.push(decider.pageLoad(request));
      if (decisions.remoteMboxes.has(decisions.globalMbox) || !decisions.localMboxes.has(decisions.globalMbox))
        remoteMboxes.add(decisions.globalMbox);
    } else if (request.kind === 'view') {
      answers.push(...decider.views(request));
      if (request.name === undefined) for (const view of decisions.remoteViews) remoteViews.add(view);
      else if (decisions.remoteViews.has(request.name) || !decisions.localViews.has(request.name)) remoteViews.add(request.name);
    } else if (request.name !== undefined) {
      answers.push(...decider.mbox(request, request.name));
      if (decisions.remoteMboxes.has(request.name) || !decisions.localMboxes.has(request.name)) remoteMboxes.add(request.name);
    }
  }
  return { answers, conditionFailures: decider.failures, remoteMboxes: [...remoteMboxes], remoteViews: [...remoteViews] };
}
