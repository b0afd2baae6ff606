import { lastModified } from './attributes.js';
import type { VisitorIdRef } from './identity.js';
import {
  createdAtOf,
  type ProfileContent,
  type ProfileRead,
  type Purge,
  type RefusedPlan,
  type IdCaps,
  type Resolution,
  tooLarge,
} from './profile-write.js';
import type { SessionState } from './sessions.js';
import { foldMergePlan, planVisitorMerge, type VisitorState } from './visitor-merge.js';

/**
 * What a delivery visit writes (docs/merging.md): the merge rules of visitor-merge.ts, the
 * caller's change (profile parameters, sessions), the size limit and the timestamps, decided in
 * one pure step from what the store read. Both visit stores carry the plan out as it is.
 */

/** A profile row as a visit store read it. */
export interface VisitedProfile extends ProfileRead {
  /** It holds a thirdPartyId: it names a person. */
  identified: boolean;
  session: SessionState | null;
}

/** A visit: its moment and its change. */
export interface VisitChange {
  now: number;
  /** Expiry stamped on the visited profile: a visit touches it (now + the client's lifetime). */
  expiresAt: number;
  /** Limit on the visited profile's attribute data; a merge above it leaves the anonymous profile as it is. */
  maxProfileBytes: number;
  /** Caps on the ids per kind of the visited profile (tooManyIds); none: no cap. */
  idCaps?: IdCaps;
  /**
   * Pure function from the (merged) stored state to the new one: profile parameters, sessions.
   * It may throw to abandon the visit; the size limit is the planner's to check, not its.
   */
  apply: (state: VisitorState) => VisitorState;
}

export type VisitPlan<P> =
  | RefusedPlan<P>
  | (ProfileContent & {
      kind: 'visit';
      purge: readonly Purge<P>[];
      /** The live profile the visit lands on; null: create one. */
      profile: P | null;
      /** Anonymous profiles merged into it: all their ids move to it, then they are deleted. */
      absorbed: P[];
      /**
       * Ids of the request to point at it, in request order: unknown ones (`from` null), and those
       * of another person's profile, which keeps its data and its other ids (`from`: that profile,
       * which loses them). An anonymous profile left unmerged keeps every id it has.
       */
      link: Array<{ ref: VisitorIdRef; from: P | null }>;
      session: SessionState | null;
    });

/**
 * One visit: the ids land on a profile by the rules of planVisitorMerge, anonymous profiles
 * reached are merged into it (unless their union would pass the size limit: then they keep their
 * data and its ids: an id is never moved away from its data), the caller's change runs on the merged
 * state, and the result is checked against the size limit — a refusal refuses the merges too.
 * Unknown ids are linked; the request's ids on another person's profile are re-pointed (that
 * profile keeps its thirdPartyId, so nothing is left without an id).
 */
export function planVisit<P extends VisitedProfile>(resolution: Resolution<P>, visit: VisitChange): VisitPlan<P> {
  const { ids, purge } = resolution;
  const byKey = new Map<string, P>();
  for (const { profile } of ids) if (profile) byKey.set(profile.key, profile);

  const merge = planVisitorMerge(ids);
  const profile = merge.winnerKey === null ? null : byKey.get(merge.winnerKey)!;
  const folded = foldMergePlan(
    merge,
    (key) => {
      const { attributes, session } = byKey.get(key)!;
      return { attributes, session };
    },
    visit.maxProfileBytes,
  );
  const next = visit.apply(folded.state);
  const refusal = tooLarge(folded.state.attributes, next.attributes, visit.maxProfileBytes);
  if (refusal) return { kind: 'refused', purge, refusal };

  const createdAt = createdAtOf(profile, visit.now);
  const link: Array<{ ref: VisitorIdRef; from: P | null }> = [];
  for (const { ref, profile: from } of ids) {
    // Ids already on the winner stay; those of an absorbed profile move with all its ids.
    if (from && (from.key === merge.winnerKey || folded.absorbed.includes(from.key))) continue;
    // An anonymous profile left unmerged (the union would pass the size limit) keeps its ids: the
    // id stays where its data is, so an export or deletion by that id still finds the data.
    if (from && !from.identified) continue;
    link.push({ ref, from });
  }
  return {
    kind: 'visit',
    purge,
    profile,
    absorbed: folded.absorbed.map((key) => byKey.get(key)!),
    link,
    session: next.session,
    attributes: next.attributes,
    createdAt,
    modifiedAt: lastModified(next.attributes, createdAt),
    expiresAt: visit.expiresAt,
  };
}
