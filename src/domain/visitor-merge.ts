import { type AttributeMap, countedBytes } from './attributes.js';
import type { VisitorIdRef } from './identity.js';
import { laterSession, type SessionState } from './sessions.js';

/**
 * Linking and merging a visitor's ids (docs/wire-contract.md#4-merging-ids, docs/merging.md). Pure
 * rules: a store looks up the profiles the request's ids point to, inside one transaction, asks
 * `planVisitorMerge` what to do and carries the plan out; every store implementation therefore
 * merges identically.
 *
 * thirdPartyId names a person; tntId, ECID and authenticated customerIds name a device. A profile
 * holding a thirdPartyId is "identified". Two identified profiles are never merged.
 */

export interface ResolvedId {
  ref: VisitorIdRef;
  /** The live profile this id points to, or null when the id is unknown (or its profile expired). */
  profile: { key: string; identified: boolean } | null;
}

export interface MergePlan {
  /** The profile the visit lands on; null = create a new one. */
  winnerKey: string | null;
  /** Anonymous profiles to merge into the winner (all their ids move, the profile is deleted). */
  absorbKeys: string[];
  /** Ids of the request to (re)point at the winner: unknown ones and those on other profiles. */
  link: VisitorIdRef[];
}

/**
 * Which profile one request's ids land on:
 * - a known thirdPartyId X: its profile P_X;
 * - an unknown X: the first anonymous profile among the device ids (X gets linked to it), else a
 *   new profile — X never joins a profile that already names another person;
 * - no X: the first identified profile among the device ids, else the first profile found.
 * Every other anonymous profile reached is merged into the winner; an identified one keeps its
 * data and other ids, and only the ids this request sent are re-pointed to the winner.
 */
export function planVisitorMerge(resolved: readonly ResolvedId[]): MergePlan {
  const person = resolved.find((id) => id.ref.kind === 'thirdPartyId');
  const devices = resolved.filter((id) => id.ref.kind !== 'thirdPartyId');
  const anonymous = devices.find((id) => id.profile && !id.profile.identified)?.profile ?? null;

  let winner: ResolvedId['profile'];
  if (person) {
    winner = person.profile ?? anonymous;
  } else {
    winner = devices.find((id) => id.profile?.identified)?.profile ?? devices.find((id) => id.profile)?.profile ?? null;
  }
  const winnerKey = winner?.key ?? null;

  const absorbKeys: string[] = [];
  for (const { profile } of resolved) {
    if (profile && profile.key !== winnerKey && !profile.identified && !absorbKeys.includes(profile.key)) {
      absorbKeys.push(profile.key);
    }
  }
  const link = resolved.filter((id) => winnerKey === null || id.profile?.key !== winnerKey).map((id) => id.ref);
  return { winnerKey, absorbKeys, link };
}

export interface VisitorState {
  attributes: AttributeMap;
  session: SessionState | null;
}

/** System attributes combine by meaning, not by "winner wins": both sides' visits happened. */
function mergeSystemAttribute(name: string, winner: string, loser: string): string {
  const a = Number(winner);
  const b = Number(loser);
  if (!Number.isFinite(a)) return loser;
  if (!Number.isFinite(b)) return winner;
  switch (name) {
    case 'firstSessionStart':
      return String(Math.min(a, b));
    case 'lastSessionStart':
      return String(Math.max(a, b));
    case 'sessionCount':
      return String(a + b);
    default:
      return winner;
  }
}

const SUMMED_OR_RANGED = new Set(['firstSessionStart', 'lastSessionStart', 'sessionCount']);

/**
 * Merges an anonymous profile (loser) into the winner: per attribute, the winner's value and its
 * modifiedAt win; attributes present on one side only are kept; session counters add up and the
 * session seen last is kept. Returns null when the union would break the profile size limit (as
 * tooLarge counts it, session attributes at their room): the
 * caller then leaves the loser as it is rather than lose or truncate data.
 */
export function mergeVisitorStates(winner: VisitorState, loser: VisitorState, maxProfileBytes: number): VisitorState | null {
  const attributes: AttributeMap = new Map(loser.attributes);
  for (const [name, attribute] of winner.attributes) {
    const theirs = loser.attributes.get(name);
    if (theirs && SUMMED_OR_RANGED.has(name)) {
      attributes.set(name, {
        value: mergeSystemAttribute(name, attribute.value, theirs.value),
        modifiedAt: Math.max(attribute.modifiedAt, theirs.modifiedAt),
      });
    } else {
      attributes.set(name, attribute);
    }
  }
  if (countedBytes(attributes) > maxProfileBytes) return null;
  return { attributes, session: laterSession(winner.session, loser.session) };
}

/**
 * Folds the profiles a plan absorbs into the winner's state, in memory. A loser whose union with
 * the winner would pass the size limit is skipped: it keeps its data, and the plan re-points only
 * this request's ids. Returns the merged state and the keys actually absorbed.
 */
export function foldMergePlan(
  plan: MergePlan,
  stateOfKey: (key: string) => VisitorState,
  maxProfileBytes: number,
): { state: VisitorState; absorbed: string[] } {
  let state: VisitorState = plan.winnerKey === null ? { attributes: new Map(), session: null } : stateOfKey(plan.winnerKey);
  const absorbed: string[] = [];
  for (const loserKey of plan.absorbKeys) {
    const merged = mergeVisitorStates(state, stateOfKey(loserKey), maxProfileBytes);
    if (!merged) continue;
    state = merged;
    absorbed.push(loserKey);
  }
  return { state, absorbed };
}
