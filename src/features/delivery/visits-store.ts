import type { VisitorIdRef } from '../../domain/identity.js';
import type { VisitorState } from '../../domain/visitor-merge.js';

export interface VisitWrite {
  now: number;
  /** Expiry stamped on the visited profile: a visit touches it (now + the client's lifetime). */
  expiresAt: number;
  /** Limit a merge must respect: a union above it leaves the anonymous profile as it is. */
  maxProfileBytes: number;
  /** The request's ids, tntId first; unknown ones are linked to the profile the visit lands on. */
  refs: readonly VisitorIdRef[];
  /**
   * Pure function from the (merged) stored state to the new one: profile parameters, sessions.
   * Runs while the profiles are locked; throwing aborts the whole visit, merges included.
   */
  apply: (state: VisitorState) => VisitorState;
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
 * transaction, looks up the profiles the ids point to (expired ones count as unknown and are
 * purged), applies `planVisitorMerge` and `mergeVisitorStates` from src/domain/visitor-merge.ts,
 * runs `apply`, and writes the result: the profile with its attributes, session state and new
 * expiry, the merged profiles' ids moved over and the merged profiles deleted, the plan's ids
 * linked.
 *
 * Concurrent visits sharing any id must serialize (two tabs logging in at once end on one
 * profile, with nothing lost). SQLite gets that from `BEGIN IMMEDIATE`; a PostgreSQL store locks
 * the rows it reads (`SELECT … FOR UPDATE`) and restarts when an id it found unknown was created
 * meanwhile (the id table's primary key), see pg-visits-store.ts.
 */
export interface VisitsStore {
  recordVisit(client: string, visit: VisitWrite): Promise<RecordedVisit>;
}
