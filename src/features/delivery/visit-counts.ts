import type { Decision, LocationRequest } from '../decisioning/decide.js';
import { type EventTokenKey, verifyEventToken } from '../decisioning/event-tokens.js';
import { IMPORTED_PREFIX } from '../artifact/imported-activities.js';
import type { NotificationRef } from './delivery-request.js';
import type { CountedEvent, CountedGroup } from './visits-store.js';

/**
 * What a Delivery request counts for its activities (docs/decisioning.md#counting), pure:
 *
 * - each executed location an activity decided is an impression of the deciding experience, counted
 *   now; one page view counts an experience once, however many of its locations the page executes;
 * - prefetched options count nothing until their display notification comes back;
 * - a notification counts what its event tokens say — a display token an impression, a click token
 *   a conversion of its metric — once per notification id, however often it is replayed (the store
 *   keeps the ids it counted). A token this server did not sign for this client, or that was
 *   altered, counts nothing; the notification is still acknowledged, because refusing it would only
 *   make Adobe's SDK send the whole request again ten times.
 */

function eventKey(event: CountedEvent): string {
  return `${event.kind}\u0000${event.activityId}\u0000${event.experienceId}\u0000${event.metric ?? ''}`;
}

function distinct(events: Iterable<CountedEvent>): CountedEvent[] {
  const byKey = new Map<string, CountedEvent>();
  for (const event of events) if (!byKey.has(eventKey(event))) byKey.set(eventKey(event), event);
  return [...byKey.values()];
}

/** A decided location as counting sees it: what decided it (an activity of the client's, or imported rules). */
export interface DecidedLocation {
  request: LocationRequest;
  decision?: Pick<Decision, 'activityId' | 'experienceId'>;
  /** Imported rules that matched: their activities are counted as `adobe:<id>` (imported-activities.ts). */
  matched?: ReadonlyArray<{ activityId: string; experienceId?: string }>;
}

/** Impressions of the executed locations decided in this request: one group, counted now. */
export function impressionsOf(answers: Iterable<DecidedLocation>): CountedGroup[] {
  const events: CountedEvent[] = [];
  for (const answer of answers) {
    if (answer.request.mode !== 'execute') continue;
    if (answer.decision) {
      events.push({ activityId: answer.decision.activityId, experienceId: answer.decision.experienceId, kind: 'impression' });
    }
    for (const match of answer.matched ?? []) {
      events.push({ activityId: `${IMPORTED_PREFIX}${match.activityId}`, experienceId: match.experienceId ?? '0', kind: 'impression' });
    }
  }
  return events.length === 0 ? [] : [{ events: distinct(events) }];
}

export interface NotificationCounts {
  groups: CountedGroup[];
  /** Tokens that did not verify (forged, altered, another client's, or signed with a retired key). */
  rejectedTokens: number;
}

/**
 * The events each notification's tokens count, one group per notification id (an id sent twice in
 * one request counts once). `imported`: the event tokens of the client's imported Adobe artifact,
 * which are Adobe's, recognised by lookup.
 */
export function notificationCounts(
  notifications: readonly NotificationRef[],
  client: string,
  keys: readonly EventTokenKey[],
  imported?: ReadonlyMap<string, CountedEvent>,
): NotificationCounts {
  const byId = new Map<string, CountedEvent[]>();
  let rejectedTokens = 0;
  for (const notification of notifications) {
    if (notification.tokens.length === 0) continue;
    const events = byId.get(notification.id) ?? [];
    for (const token of notification.tokens) {
      const known = imported?.get(token);
      if (known) {
        events.push(known);
        continue;
      }
      const claims = keys.length === 0 ? null : verifyEventToken(token, keys);
      if (!claims || claims.client !== client) {
        rejectedTokens += 1;
        continue;
      }
      const { activityId, experienceId } = claims;
      if (claims.kind === 'display') events.push({ activityId, experienceId, kind: 'impression' });
      else if (claims.metric !== undefined) events.push({ activityId, experienceId, kind: 'conversion', metric: claims.metric });
    }
    byId.set(notification.id, events);
  }
  const groups: CountedGroup[] = [];
  for (const [notificationId, events] of byId) {
    if (events.length > 0) groups.push({ notificationId, events: distinct(events) });
  }
  return { groups, rejectedTokens };
}
