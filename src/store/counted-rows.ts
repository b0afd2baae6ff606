import { type CountedEvent, type CountedGroup, MAX_NOTIFICATION_ID_LENGTH, type VisitWrite } from '../features/delivery/visits-store.js';

/** One counter row's increment: `count` events of an experience (and metric) for the visitor. */
export interface CounterIncrement {
  activityId: string;
  experienceId: string;
  /** null for impressions. */
  metric: string | null;
  count: number;
}

/**
 * What a visit counts, as both visit stores read it: `counted()` called once per transaction
 * attempt, checked (a conversion names its metric, a notification id is 1–200 characters), the
 * groups carrying a notification id first and in id order — so that two visits inserting the same
 * ids take their locks in one order on PostgreSQL — then the others. Throws a RangeError before
 * anything is written.
 */
export function countedGroupsOf(visit: VisitWrite): CountedGroup[] {
  const groups = [...(visit.counted?.() ?? [])];
  for (const { notificationId, events } of groups) {
    if (notificationId !== undefined && (notificationId.length === 0 || notificationId.length > MAX_NOTIFICATION_ID_LENGTH)) {
      throw new RangeError(`a counted notification id must be 1 to ${MAX_NOTIFICATION_ID_LENGTH} characters`);
    }
    for (const event of events) checkEvent(event);
  }
  return groups.sort((a, b) => {
    if (a.notificationId === undefined || b.notificationId === undefined) {
      return (a.notificationId === undefined ? 1 : 0) - (b.notificationId === undefined ? 1 : 0);
    }
    return a.notificationId < b.notificationId ? -1 : a.notificationId > b.notificationId ? 1 : 0;
  });
}

function checkEvent(event: CountedEvent): void {
  if (event.kind === 'conversion' ? typeof event.metric !== 'string' || event.metric === '' : event.metric !== undefined) {
    throw new RangeError('a counted conversion names its metric; an impression names none');
  }
}

/**
 * The events of the groups that count, summed per counter row: one upsert per row (`+ count`),
 * impressions and conversions apart, in key order.
 */
export function counterIncrements(groups: readonly CountedGroup[]): { impressions: CounterIncrement[]; conversions: CounterIncrement[] } {
  const rows = new Map<string, CounterIncrement>();
  for (const { events } of groups) {
    for (const { activityId, experienceId, kind, metric } of events) {
      const counted = kind === 'conversion' ? metric! : null;
      const key = JSON.stringify([kind, activityId, experienceId, counted]);
      const row = rows.get(key);
      if (row) row.count += 1;
      else rows.set(key, { activityId, experienceId, metric: counted, count: 1 });
    }
  }
  const sorted = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
  return { impressions: sorted.filter((row) => row.metric === null), conversions: sorted.filter((row) => row.metric !== null) };
}

/** One row of `activity_totals`: what a transaction adds to an experience's (and metric's) report. */
export interface TotalIncrement {
  activityId: string;
  experienceId: string;
  /** `""` for impressions. */
  metric: string;
  /** 1 when the visitor is counted in this experience (and metric) for the first time. */
  visitors: number;
  events: number;
}

/**
 * What a profile has been counted in, kept on its row (`profiles.counted` on the embedded store):
 * `[activityId, experienceId, metric]` triples as JSON (`metric` `""` for impressions), one per
 * line — each line is its own Set key, so reading the list parses nothing.
 */
export function decodeCounted(text: string | null | undefined, into: Set<string> = new Set()): Set<string> {
  if (!text) return into;
  for (const line of text.split('\n')) into.add(line);
  return into;
}

export function encodeCounted(keys: ReadonlySet<string>): string | null {
  return keys.size === 0 ? null : [...keys].join('\n');
}

/**
 * The totals a visit adds, given what its profile was counted in before (`counted`, which gains
 * the visit's new triples): one increment per experience (and metric), a new visitor where the
 * triple is new.
 */
export function totalIncrements(groups: readonly CountedGroup[], counted: Set<string>, into: Map<string, TotalIncrement>): void {
  for (const { events } of groups) {
    for (const { activityId, experienceId, kind, metric: named } of events) {
      const metric = kind === 'conversion' ? named! : '';
      const key = JSON.stringify([activityId, experienceId, metric]);
      const visitors = counted.has(key) ? 0 : 1;
      counted.add(key);
      const total = into.get(key);
      if (total) {
        total.visitors += visitors;
        total.events += 1;
      } else into.set(key, { activityId, experienceId, metric, visitors, events: 1 });
    }
  }
}
