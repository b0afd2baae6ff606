import type { VisitorIdRef } from '../../domain/identity.js';
import type { VisitChange } from '../../domain/visit-plan.js';
import type { VisitorState } from '../../domain/visitor-merge.js';

/** One counted event of an activity experience, for the visitor the visit lands on. */
export interface CountedEvent {
  activityId: string;
  experienceId: string;
  kind: 'impression' | 'conversion';
  /** The click metric's name; conversions only. */
  metric?: string;
}

/** Events counted together: those of one notification are counted once per client and notification id, however often it is replayed. */
export interface CountedGroup {
  /** Absent: counted now (execute decisions). */
  notificationId?: string;
  events: readonly CountedEvent[];
}

export interface VisitWrite extends VisitChange {
  /** The request's ids, tntId first; unknown ones are linked to the profile the visit lands on. */
  refs: readonly VisitorIdRef[];
  /**
   * Called once the visit is planned (after `apply`), inside the visit's transaction: what this
   * visit counts. Written atomically with the visit; nothing when the visit is refused.
   */
  counted?: () => readonly CountedGroup[];
}

export interface RecordedVisit {
  /** Internal key of the profile the visit landed on. */
  key: string;
  created: boolean;
  /** How many anonymous profiles were merged into it by this visit. */
  absorbed: number;
  state: VisitorState;
  /** Groups of `counted()` not counted: their notification id had been counted before. */
  replayedNotifications?: number;
}

/**
 * What the delivery feature needs from storage: one atomic visit. An implementation, inside one
 * transaction, reads the profiles the ids point to, asks `planVisit` (src/domain/visit-plan.ts)
 * what to do — expired profiles count as unknown and are purged, anonymous ones are merged
 * (visitor-merge.ts), `apply` runs, the size limit is checked — and writes the plan: the profile
 * with its attributes, session state and new expiry, the merged profiles' ids moved over and the
 * merged profiles deleted, the plan's ids linked. A refused visit writes nothing and rejects
 * with the refusal's error (ProfileTooLargeError).
 *
 * Concurrent visits sharing any id must serialize (two tabs logging in at once end on one
 * profile, with nothing lost). SQLite gets that from `BEGIN IMMEDIATE`; a PostgreSQL store locks
 * the rows it reads (`SELECT … FOR UPDATE`) and restarts when an id it found unknown was created
 * meanwhile (the id table's primary key), see pg-visits-store.ts.
 */
export interface VisitsStore {
  recordVisit(client: string, visit: VisitWrite): Promise<RecordedVisit>;
}
