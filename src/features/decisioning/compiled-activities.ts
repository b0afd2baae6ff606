import { parseDateTime, type StoredActivity } from './activity.js';
import { type BucketRange, bucketRanges } from './allocation.js';
import { type CompiledCondition, compileCondition, conditionReads } from './conditions.js';
import type { ContextParts } from './context.js';
import { type EventTokenKey, signEventToken } from './event-tokens.js';
import {
  bindStatic,
  compileJsonContent,
  hasVisitTokens,
  type OfferType,
  parseTemplate,
  renderTemplate,
  type VisitTokenValues,
} from './tokens.js';

/**
 * Activities compiled for deciding: conditions turned into closures, offers into templates with the
 * activity's own tokens already written, event tokens signed, allocation split into bucket ranges —
 * all once per activity version, so that a decision only evaluates and copies. The client's live
 * activities are then indexed by location, each list in decision order.
 */

export interface CompiledOffer {
  readonly location: string;
  readonly type: OfferType;
  /** The option's content for a visitor (a shared value when the offer has no visitor token). */
  readonly render: (visit: VisitTokenValues) => unknown;
  /** True when `render` does not depend on the visitor. */
  readonly constant: boolean;
  /** `activity.*`, `experience.*`, `offer.*`, `option.*` response tokens. */
  readonly responseTokens: ReadonlyMap<string, string>;
}

/** What `render` of a constant offer is called with: it reads nothing of it. */
export const NO_VISIT: VisitTokenValues = Object.freeze({ attributes: new Map(), tntId: '', sessionId: '', location: '' });

export interface ClickMetric {
  readonly type: 'click';
  readonly eventToken: string;
}

export interface CompiledExperience {
  readonly id: string;
  readonly name: string;
  /** xt: who gets it; null: everyone the activity admits. */
  readonly audience: CompiledCondition | null;
  readonly offers: ReadonlyMap<string, CompiledOffer>;
  /** Display event token: prefetched options carry it, display notifications send it back. */
  readonly displayToken: string;
  /** The activity's click metrics with this experience's click tokens. */
  readonly metrics: readonly ClickMetric[];
}

export interface CompiledActivity {
  readonly id: string;
  readonly version: number;
  readonly name: string;
  readonly type: 'ab' | 'xt';
  readonly live: boolean;
  readonly priority: number;
  /** Epoch ms; -Infinity when the activity has no start. */
  readonly startsAt: number;
  /** Epoch ms, exclusive; Infinity when it has no end. */
  readonly endsAt: number;
  readonly audience: CompiledCondition | null;
  readonly experiences: readonly CompiledExperience[];
  /** ab: the buckets of each experience, in the experiences' order. */
  readonly ranges: readonly BucketRange[];
  readonly locations: readonly string[];
  /** The parts of the decision context its conditions read. */
  readonly reads: ContextParts;
}

export interface CompileOptions {
  /** The client code: part of the allocation hash and of every event token. */
  client: string;
  /** Key that signs event tokens. */
  eventTokenKey: EventTokenKey;
}

function compileOffer(
  activity: StoredActivity,
  experienceId: string,
  experienceName: string,
  location: string,
  offer: StoredActivity['experiences'][number]['offers'][string],
): CompiledOffer {
  const offerId = offer.id ?? `${activity.id}.${experienceId}.${location}`;
  const offerName = offer.name ?? offerId;
  const values = { activityId: activity.id, activityName: activity.name, experienceId, experienceName, offerId, offerName };
  const responseTokens = new Map([
    ['activity.id', activity.id],
    ['activity.name', activity.name],
    ['experience.id', experienceId],
    ['experience.name', experienceName],
    ['offer.id', offerId],
    ['offer.name', offerName],
    ['option.id', offerId],
    ['option.name', offerName],
  ]);
  if (offer.type === 'json') {
    const { render, constant } = compileJsonContent(offer.content, values);
    return { location, type: 'json', render, constant, responseTokens };
  }
  const template = bindStatic(parseTemplate(String(offer.content)), values, offer.type);
  if (!hasVisitTokens(template)) {
    const content = template.parts.join('');
    return { location, type: offer.type, render: () => content, constant: true, responseTokens };
  }
  const type = offer.type;
  return { location, type, render: (visit) => renderTemplate(template, visit, type), constant: false, responseTokens };
}

/** Compiles one activity version (any state; only live ones are indexed). */
export function compileActivity(activity: StoredActivity, options: CompileOptions): CompiledActivity {
  const token = (experienceId: string, kind: 'display' | 'click', metric?: string) =>
    signEventToken(
      {
        client: options.client,
        activityId: activity.id,
        activityVersion: activity.version,
        experienceId,
        kind,
        ...(metric === undefined ? {} : { metric }),
      },
      options.eventTokenKey,
    );
  const experiences = activity.experiences.map((experience): CompiledExperience => {
    const name = experience.name ?? experience.id;
    const offers = new Map(
      Object.entries(experience.offers).map(([location, offer]) => [
        location,
        compileOffer(activity, experience.id, name, location, offer),
      ]),
    );
    return {
      id: experience.id,
      name,
      audience: activity.type === 'xt' && experience.audience !== undefined ? compileCondition(experience.audience) : null,
      offers,
      displayToken: token(experience.id, 'display'),
      metrics: Object.freeze(
        activity.metrics.map((metric) => Object.freeze({ type: 'click' as const, eventToken: token(experience.id, 'click', metric.name) })),
      ),
    };
  });
  const conditions = [
    activity.audience,
    ...activity.experiences.map((experience) => (activity.type === 'xt' ? experience.audience : undefined)),
  ];
  const reads = unionOf(conditions.filter((condition) => condition !== undefined).map(conditionReads));
  const startsAt = activity.startsAt ? parseDateTime(activity.startsAt) : Number.NEGATIVE_INFINITY;
  const endsAt = activity.endsAt ? parseDateTime(activity.endsAt) : Number.POSITIVE_INFINITY;
  return {
    id: activity.id,
    version: activity.version,
    name: activity.name,
    type: activity.type,
    live: activity.state === 'live',
    priority: activity.priority,
    startsAt,
    endsAt,
    audience: activity.audience !== undefined ? compileCondition(activity.audience) : null,
    experiences,
    ranges: activity.type === 'ab' ? bucketRanges(activity.experiences.map((experience) => experience.allocation ?? 0)) : [],
    locations: Object.keys(activity.experiences[0]?.offers ?? {}),
    reads,
  };
}

function unionOf(parts: readonly ContextParts[]): ContextParts {
  const union = new Set<string>();
  for (const part of parts) {
    if (part === 'any') return 'any';
    for (const name of part) union.add(name);
  }
  return union;
}

/** A client's live activities by location, each list in decision order. */
export interface ActivityIndex {
  readonly client: string;
  readonly byLocation: ReadonlyMap<string, readonly CompiledActivity[]>;
  /** The `view:<name>` locations some live activity decides, for requests of every view. */
  readonly views: readonly string[];
  /** The parts of the decision context some live condition reads: only those are built. */
  readonly reads: ContextParts;
}

/**
 * Decision order at a location: higher priority first; among equal priorities, the activity id in
 * code-unit order — a fixed rule, so every node and every restart picks the same activity, and
 * editing an activity never changes which of two equals wins.
 */
export function decisionOrder(a: CompiledActivity, b: CompiledActivity): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Indexes compiled activities (reuse them across versions of the index); only live ones decide. */
export function indexActivities(client: string, activities: readonly CompiledActivity[]): ActivityIndex {
  const byLocation = new Map<string, CompiledActivity[]>();
  for (const activity of activities) {
    if (!activity.live) continue;
    for (const location of activity.locations) {
      const list = byLocation.get(location);
      if (list) list.push(activity);
      else byLocation.set(location, [activity]);
    }
  }
  for (const list of byLocation.values()) list.sort(decisionOrder);
  const views = [...byLocation.keys()].filter((location) => location.startsWith('view:')).sort();
  const reads = unionOf(activities.filter((activity) => activity.live).map((activity) => activity.reads));
  return { client, byLocation, views, reads };
}

/** Compiles and indexes a client's activities in one go. */
export function compileActivities(activities: readonly StoredActivity[], options: CompileOptions): ActivityIndex {
  return indexActivities(
    options.client,
    activities.map((activity) => compileActivity(activity, options)),
  );
}
