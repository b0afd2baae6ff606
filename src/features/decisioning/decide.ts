import type { VisitFacts } from '../../domain/sessions.js';
import { GLOBAL_MBOX, VIEW_PREFIX } from './activity.js';
import { type AllocationIds, allocationBucket, allocationVisitorId, rangeIndexOf } from './allocation.js';
import {
  type ActivityIndex,
  type ClickMetric,
  type CompiledActivity,
  type CompiledExperience,
  type CompiledOffer,
  NO_VISIT,
} from './compiled-activities.js';
import {
  type Address,
  buildDecisionContext,
  contextForLocation,
  type DecisionContext,
  type DeliveryContext,
  type ParseDomain,
  parseDomainPublicSuffix,
} from './context.js';
import { DEFAULT_RESPONSE_TOKENS } from './response-tokens.js';

/**
 * Server-side decisions, pure: given a client's compiled live activities and one Delivery request's
 * locations, visitor and context, what each location shows.
 *
 * Per location: the first activity in decision order (priority, then id) that is live now
 * (`startsAt` ≤ now < `endsAt`) and whose audience admits the visitor decides it (an audience
 * admits when its value is JsonLogic-true: an empty array does not, see `CompiledCondition.admits`).
 * An ab activity gives the visitor the experience its allocation bucket falls in (hashed as Adobe's
 * engine hashes, see allocation.ts); an xt activity the first experience whose audience matches — when none does,
 * the activity does not decide and the next one is tried, as the engine tries its next rule. A
 * location no activity decides answers `options: []`.
 *
 * The answer of a decided location is one option `{type, content, responseTokens}` with the
 * offer's content rendered for the visitor; prefetched options also carry the experience's display
 * `eventToken` (the impression is counted when its notification comes back; executed ones are
 * counted now, from `decision`). The activity's click metrics come as `metrics`, each with its click
 * token. Unlike the engine, the page load (`target-global-mbox`) is one location like the others:
 * one activity decides it, not every matching rule.
 *
 * A condition that fails while evaluated (on data it cannot handle, see conditions.ts) counts as not
 * matching and is reported in `conditionFailures`; the engine fails the whole request there.
 */

export type Mode = 'execute' | 'prefetch';

export interface LocationRequest {
  mode: Mode;
  kind: 'pageLoad' | 'mbox' | 'view';
  /** The mbox's or the view's name; a view request without one asks for every view. */
  name?: string;
  /** The mbox's `index`, echoed. */
  index?: number;
  /** The location's parameters (`mbox.*` in conditions and tokens). */
  parameters?: Readonly<Record<string, unknown>>;
  /** The location's own address, when it has one. */
  address?: Address | null;
}

export interface VisitorIds {
  /** The visitor's tntId as answered (minted by the server when the request had none). */
  tntId: string;
  thirdPartyId?: string;
  marketingCloudVisitorId?: string;
}

export interface Visit {
  ids: VisitorIds;
  /**
   * The ids the visitor is allocated by, when not `ids`: the request's own, so that a visitor known
   * only by a thirdPartyId is allocated by it, not by the tntId minted for this answer.
   */
  allocationIds?: AllocationIds;
  sessionId: string;
  /** Attributes after this request's writes and scripts; `user.<name>` ones are script outputs. */
  attributes: ReadonlyMap<string, string>;
  facts?: VisitFacts;
  /** The Delivery request's `context`. */
  context?: DeliveryContext;
  /** Epoch ms, the server's clock. */
  now: number;
  /** Response-token values only the caller knows (`profile.categoryAffinity`, …). */
  extraResponseTokens?: ReadonlyMap<string, string>;
}

export interface DecideOptions {
  /** The client's response-token list; the defaults otherwise. */
  responseTokens?: readonly string[];
  parseDomain?: ParseDomain;
  /** Told why each candidate activity of a location was passed over or chosen (the admin preview); Delivery passes none. */
  explain?: (step: DecisionStep) => void;
}

/** One activity considered for a location, in decision order, and what became of it. */
export interface DecisionStep {
  location: string;
  activityId: string;
  type: 'ab' | 'xt';
  priority: number;
  outcome: 'outside-dates' | 'audience-not-matched' | 'allocated' | 'experience-matched' | 'no-experience-matched';
  /** allocated / experience-matched: the experience chosen. */
  experienceId?: string;
  /** ab: the visitor's bucket for this activity, 0 to 9999. */
  bucket?: number;
}

export type ResponseTokenValue = string | number;

export interface DecidedOption {
  type: CompiledOffer['type'];
  content: unknown;
  responseTokens: Record<string, ResponseTokenValue>;
  eventToken?: string;
}

/** What a decided location counts: for impressions (execute) and reports. */
export interface Decision {
  activityId: string;
  activityVersion: number;
  experienceId: string;
  location: string;
}

export interface LocationAnswer {
  request: LocationRequest;
  /** The location decided: `target-global-mbox`, the mbox name, `view:<name>`. */
  location: string;
  options: DecidedOption[];
  metrics?: ClickMetric[];
  decision?: Decision;
}

export interface ConditionFailure {
  activityId: string;
  experienceId?: string;
  location: string;
  message: string;
}

export interface Decisions {
  answers: LocationAnswer[];
  conditionFailures: ConditionFailure[];
}

function locationOf(request: LocationRequest): string | undefined {
  if (request.kind === 'pageLoad') return GLOBAL_MBOX;
  if (request.kind === 'view') return request.name === undefined ? undefined : `${VIEW_PREFIX}${request.name}`;
  return request.name;
}

function scalar(value: unknown): ResponseTokenValue | undefined {
  if (typeof value === 'string' || typeof value === 'number') return value;
  return undefined;
}

/** One request's decisions: its context, allocations and visitor-dependent token values, each built once. */
class RequestDecider {
  private base: DecisionContext | undefined;
  private readonly buckets = new Map<string, number>();
  private readonly visitorId: string;
  private readonly tokenNames: readonly string[];
  private visitTokens: Map<string, ResponseTokenValue> | undefined;
  readonly failures: ConditionFailure[] = [];

  constructor(
    private readonly index: ActivityIndex,
    private readonly visit: Visit,
    private readonly parseDomain: ParseDomain,
    responseTokens: readonly string[],
    private readonly explain?: (step: DecisionStep) => void,
  ) {
    this.visitorId = allocationVisitorId(visit.allocationIds ?? visit.ids) ?? visit.ids.tntId;
    this.tokenNames = responseTokens;
  }

  private baseContext(): DecisionContext {
    this.base ??= buildDecisionContext(
      {
        context: this.visit.context,
        now: this.visit.now,
        attributes: this.visit.attributes,
        facts: this.visit.facts,
        parseDomain: this.parseDomain,
      },
      this.index.reads,
    );
    return this.base;
  }

  private bucket(activity: CompiledActivity): number {
    let bucket = this.buckets.get(activity.id);
    if (bucket === undefined) {
      bucket = allocationBucket(this.index.client, activity.id, this.visitorId);
      this.buckets.set(activity.id, bucket);
    }
    return bucket;
  }

  private matches(
    condition: CompiledActivity['audience'],
    context: () => DecisionContext,
    failure: Omit<ConditionFailure, 'message'>,
  ): boolean {
    if (!condition) return true;
    try {
      return condition.admits(context());
    } catch (error) {
      this.failures.push({ ...failure, message: error instanceof Error ? error.message : String(error) });
      return false;
    }
  }

  /** The activity and experience deciding a location, if any. */
  private choose(location: string, request: LocationRequest): { activity: CompiledActivity; experience: CompiledExperience } | undefined {
    const candidates = this.index.byLocation.get(location);
    if (!candidates) return undefined;
    const now = this.visit.now;
    let locationContext: DecisionContext | undefined;
    const context = () => {
      locationContext ??= contextForLocation(this.baseContext(), request, this.parseDomain, this.index.reads);
      return locationContext;
    };
    const explain = this.explain;
    const step = (activity: CompiledActivity, outcome: DecisionStep['outcome'], more: Partial<DecisionStep> = {}) =>
      explain?.({ location, activityId: activity.id, type: activity.type, priority: activity.priority, outcome, ...more });
    for (const activity of candidates) {
      if (now < activity.startsAt || now >= activity.endsAt) {
        if (explain) step(activity, 'outside-dates');
        continue;
      }
      if (!this.matches(activity.audience, context, { activityId: activity.id, location })) {
        if (explain) step(activity, 'audience-not-matched');
        continue;
      }
      if (activity.type === 'ab') {
        const bucket = this.bucket(activity);
        const experience = activity.experiences[rangeIndexOf(activity.ranges, bucket)];
        if (experience) {
          if (explain) step(activity, 'allocated', { experienceId: experience.id, bucket });
          return { activity, experience };
        }
        if (explain) step(activity, 'no-experience-matched', { bucket });
        continue;
      }
      for (const experience of activity.experiences) {
        if (this.matches(experience.audience, context, { activityId: activity.id, experienceId: experience.id, location })) {
          if (explain) step(activity, 'experience-matched', { experienceId: experience.id });
          return { activity, experience };
        }
      }
      if (explain) step(activity, 'no-experience-matched');
    }
    return undefined;
  }

  private visitTokenValue(name: string): ResponseTokenValue | undefined {
    const { visit } = this;
    switch (name) {
      case 'activity.decisioningMethod':
        return 'server-side';
      case 'geo.city':
        return scalar(visit.context?.geo?.city);
      case 'geo.country':
        return scalar(visit.context?.geo?.countryCode);
      case 'geo.state':
        return scalar(visit.context?.geo?.stateCode);
      case 'geo.latitude':
        return scalar(visit.context?.geo?.latitude);
      case 'geo.longitude':
        return scalar(visit.context?.geo?.longitude);
      case 'profile.tntId':
        return visit.ids.tntId;
      case 'profile.thirdPartyId':
        return visit.ids.thirdPartyId;
      case 'profile.marketingCloudVisitorId':
        return visit.ids.marketingCloudVisitorId;
      case 'profile.isFirstSession':
      case 'profile.isNewSession': {
        const fact = visit.facts?.[name === 'profile.isFirstSession' ? 'isFirstSession' : 'isNewSession'];
        return fact === undefined ? undefined : String(fact);
      }
      case 'profile.daysSinceLastVisit': {
        const days = visit.facts?.daysSinceLastVisit;
        return days === undefined || days === null ? undefined : String(days);
      }
    }
    const extra = visit.extraResponseTokens?.get(name);
    if (extra !== undefined) return extra;
    if (name.startsWith('profile.')) {
      const attribute = name.slice('profile.'.length);
      return attribute.startsWith('user.') ? undefined : visit.attributes.get(attribute);
    }
    if (name.startsWith('user.')) return visit.attributes.get(name);
    return undefined;
  }

  private responseTokens(offer: CompiledOffer): Record<string, ResponseTokenValue> {
    if (!this.visitTokens) {
      this.visitTokens = new Map();
      for (const name of this.tokenNames) {
        if (offer.responseTokens.has(name)) continue;
        const value = this.visitTokenValue(name);
        if (value !== undefined) this.visitTokens.set(name, value);
      }
    }
    const tokens: Record<string, ResponseTokenValue> = {};
    for (const name of this.tokenNames) {
      const value = offer.responseTokens.get(name) ?? this.visitTokens.get(name);
      if (value === undefined) continue;
      if (name === '__proto__') Object.defineProperty(tokens, name, { value, enumerable: true, writable: true, configurable: true });
      else tokens[name] = value;
    }
    return tokens;
  }

  answer(request: LocationRequest, location: string): LocationAnswer {
    const chosen = this.choose(location, request);
    if (!chosen) return { request, location, options: [] };
    const { activity, experience } = chosen;
    const offer = experience.offers.get(location)!;
    const content = offer.constant
      ? offer.render(NO_VISIT)
      : offer.render({
          attributes: this.visit.attributes,
          tntId: this.visit.ids.tntId,
          sessionId: this.visit.sessionId,
          isFirstSession: this.visit.facts?.isFirstSession,
          isNewSession: this.visit.facts?.isNewSession,
          daysSinceLastVisit: this.visit.facts?.daysSinceLastVisit,
          location,
          parameters: request.parameters,
        });
    const option: DecidedOption = { type: offer.type, content, responseTokens: this.responseTokens(offer) };
    if (request.mode === 'prefetch') option.eventToken = experience.displayToken;
    const answer: LocationAnswer = {
      request,
      location,
      options: [option],
      decision: { activityId: activity.id, activityVersion: activity.version, experienceId: experience.id, location },
    };
    if (experience.metrics.length > 0) answer.metrics = experience.metrics as ClickMetric[];
    return answer;
  }
}

/** The answers of every requested location, in request order (a view request without a name: one per decided view). */
export function decide(index: ActivityIndex, visit: Visit, locations: readonly LocationRequest[], options: DecideOptions = {}): Decisions {
  const decider = new RequestDecider(
    index,
    visit,
    options.parseDomain ?? parseDomainPublicSuffix,
    options.responseTokens ?? DEFAULT_RESPONSE_TOKENS,
    options.explain,
  );
  const answers: LocationAnswer[] = [];
  for (const request of locations) {
    const location = locationOf(request);
    if (location !== undefined) {
      answers.push(decider.answer(request, location));
      continue;
    }
    for (const view of index.views) {
      const answer = decider.answer(request, view);
      if (answer.decision) answers.push(answer);
    }
  }
  return { answers, conditionFailures: decider.failures };
}
