import type { VisitorIdRef } from '../../domain/identity.js';
import type { VisitChange } from '../../domain/visit-plan.js';
import type { VisitorState } from '../../domain/visitor-merge.js';

export interface VisitWrite extends VisitChange {
  /** The request's ids, tntId first; unknown ones are linked to the profile the visit lands on. */
  refs: readonly VisitorIdRef[];
}

export interface RecordedVisit {
  /** Internal key of the profile the visit landed on. */
  key: string;
  created: boolean;
  /** How many anonymous profiles were merged into it by this visit. */
  absorbed: number;
  state: VisitorState;
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
