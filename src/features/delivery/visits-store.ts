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

/** The longest notification id a store remembers (the delivery schema's limit, docs/wire-contract.md). */
export const MAX_NOTIFICATION_ID_LENGTH = 200;

/**
 * How long a counted notification id is remembered (7 days): a replay within it counts nothing, an
 * older id is pruned by the lifetime sweep and would count again. Adobe's SDKs send a
 * notification within seconds of the display or click, and retry it for minutes at most.
 */
export const NOTIFICATION_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export interface VisitWrite extends VisitChange {
  /** The request's ids, tntId first; unknown ones are linked to the profile the visit lands on. */
  refs: readonly VisitorIdRef[];
  /**
   * Called once the visit is planned (after `apply`), inside the visit's transaction: what this
   * visit counts. Written atomically with the visit; nothing when the visit is refused. A store
   * may call it again when it restarts the transaction, so it must be pure.
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
  /** Groups skipped because their notification id was already counted. */
  replayedNotifications: number;
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
 * Counting (docs/decisioning.md#counting): in the same transaction, each group of `counted()`
 * whose notification id is new for the client (or that has none) adds its events to the
 * per-visitor counter rows of the profile the visit lands on; a group whose id is already
 * remembered counts nothing. So an acknowledged count is exactly as durable as the visit, and a
 * replayed notification — another request, another node, the same group commit — counts once.
 *
 * Concurrent visits sharing any id must serialize (two tabs logging in at once end on one
 * profile, with nothing lost). SQLite gets that from `BEGIN IMMEDIATE`; a PostgreSQL store locks
 * the rows it reads (`SELECT … FOR UPDATE`) and restarts when an id it found unknown was created
 * meanwhile (the id table's primary key), see pg-visits-store.ts.
 */
export interface VisitsStore {
  recordVisit(client: string, visit: VisitWrite): Promise<RecordedVisit>;
}
