import { BadRequestError, ConflictError } from '../errors.js';
import {
  type AttributeMap,
  callerBytes,
  countedBytes,
  lastModified,
  ProfileTooLargeError,
  profileTooLargeMessage,
  SESSION_ATTRIBUTES_ROOM,
} from './attributes.js';
import type { IdKind, VisitorIdRef } from './identity.js';

/**
 * What every profile write decides, in one place. A store reads the rows the request's ids point
 * to (inside its transaction, or optimistically), hands them to a planner and carries out the plan
 * it gets back; the stores only lock, read and run SQL, so every path — single updates, the
 * optimistic and locked PostgreSQL paths, bulk chunks, delivery visits (visit-plan.ts) — applies
 * the same rules. Pure: no I/O, no clock, no randomness (a store mints the key of a new profile).
 */

/** The contract's limit on a profile's attribute data, for a write that names no other. */
export const DEFAULT_MAX_PROFILE_BYTES = 64 * 1024;

/** A profile row as a store read it: what the rules look at. A store's own read type extends it. */
export interface ProfileRead {
  key: string;
  createdAt: number;
  expiresAt: number;
  attributes: AttributeMap;
}

/** What a store found for one of the request's ids. */
export interface FoundId<P> {
  ref: VisitorIdRef;
  /** The profile key its id row names; undefined when the id is unknown. */
  key: string | undefined;
  /** The row of that key; undefined when it is gone (the id row dangles). */
  profile: P | undefined;
}

/** One of the request's ids with the live profile it leads to, or null. */
export interface LiveId<P> {
  ref: VisitorIdRef;
  profile: P | null;
}

/** A profile to delete with its ids before anything is written: expired, or named only by dangling id rows. */
export interface Purge<P> {
  key: string;
  /** Its row as read; undefined when only id rows name it. */
  profile: P | undefined;
  /** The request's ids that named it; the store finds its other ids (by key, or on its row). */
  refs: VisitorIdRef[];
}

export interface Resolution<P> {
  /** Every id of the request, in request order. */
  ids: LiveId<P>[];
  purge: readonly Purge<P>[];
}

/**
 * Expired means unknown: an id whose profile has expired (or whose profile row is gone) leads to
 * nothing, and that profile is purged with its ids, as the sweep would have done — so a write
 * never revives anything of it.
 */
export function resolveIds<P extends { expiresAt: number }>(found: readonly FoundId<P>[], now: number): Resolution<P> {
  const ids: LiveId<P>[] = [];
  let purge: Purge<P>[] | undefined;
  for (const { ref, key, profile } of found) {
    if (key === undefined || (profile && profile.expiresAt > now)) {
      ids.push({ ref, profile: profile ?? null });
      continue;
    }
    purge ??= [];
    const known = purge.find((p) => p.key === key);
    if (known) known.refs.push(ref);
    else purge.push({ key, profile, refs: [ref] });
    ids.push({ ref, profile: null });
  }
  return { ids, purge: purge ?? NOTHING_TO_PURGE };
}

const NOTHING_TO_PURGE: readonly Purge<never>[] = Object.freeze([]);

/** Why a write was not applied: nothing of it is written. */
export type WriteRefusal =
  | { reason: 'profile_too_large'; bytes: number; maxBytes: number }
  | { reason: 'ids_conflict' }
  | { reason: 'too_many_ids'; kind: IdKind; max: number };

export function refusalMessage(refusal: WriteRefusal): string {
  switch (refusal.reason) {
    case 'profile_too_large':
      return profileTooLargeMessage(refusal.bytes, refusal.maxBytes);
    case 'ids_conflict':
      return 'the ids given belong to two different profiles';
    case 'too_many_ids':
      return `the profile would hold more than ${refusal.max} ids of kind ${refusal.kind}, the limit per kind; nothing was written`;
  }
}

/** The error a caller that answers one request throws for a refusal (a bulk row reports it instead). */
export function refusalError(refusal: WriteRefusal): Error {
  switch (refusal.reason) {
    case 'profile_too_large':
      return new ProfileTooLargeError(refusal.bytes, refusal.maxBytes);
    case 'ids_conflict':
      return new ConflictError(refusalMessage(refusal), 'ids_conflict');
    case 'too_many_ids':
      return new BadRequestError(refusalMessage(refusal), 'too_many_ids');
  }
}

/** Caps on the ids one profile holds, per id kind (Limits, docs/security.md#limits-and-hostile-input). */
export interface IdCaps {
  /** tntIds, and ECIDs: ids of devices. */
  maxDeviceIdsPerKind: number;
  /** thirdPartyIds, and customerIds: ids of the person in the customer's systems. */
  maxCustomerIdsPerKind: number;
}

export type IdCounts = Partial<Record<IdKind, number>>;

export function idCapOf(kind: IdKind, caps: IdCaps): number {
  return kind === 'tntId' || kind === 'marketingCloudVisitorId' ? caps.maxDeviceIdsPerKind : caps.maxCustomerIdsPerKind;
}

/** Counts of `ids` per kind. */
export function countIds(ids: Iterable<VisitorIdRef>): IdCounts {
  const counts: IdCounts = {};
  for (const { kind } of ids) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/**
 * The cap on ids per profile and kind: a write that gives the profile new ids of a kind (linked, or
 * brought by a merged profile) past the cap of that kind is refused whole. The ids it already holds
 * count (`held`: the profile's and those of the profiles merged into it); a write that gains no id
 * of a kind is never refused for it, so a profile over a lowered cap keeps working. A store counts
 * the profile's ids only when the plan gains some, in the write's transaction.
 */
export function tooManyIds(held: readonly IdCounts[], linked: readonly VisitorIdRef[], caps: IdCaps): WriteRefusal | null {
  const total = countIds(linked);
  const gained = new Set(Object.keys(total) as IdKind[]);
  for (const counts of held.slice(1)) for (const kind of Object.keys(counts) as IdKind[]) gained.add(kind);
  for (const kind of gained) {
    const all = held.reduce((sum, counts) => sum + (counts[kind] ?? 0), total[kind] ?? 0);
    const max = idCapOf(kind, caps);
    if (all > max) return { reason: 'too_many_ids', kind, max };
  }
  return null;
}

/**
 * The size limit counts everything a profile holds: a write is refused when callers' attribute
 * data (UTF-8 bytes of names and values) plus the room kept for the session attributes
 * (SESSION_ATTRIBUTES_ROOM, whatever they hold now) would pass `maxBytes`, and the write adds data
 * of its own. So the stamps a visit adds always fit — no visit takes a profile past the limit, and
 * none fails for them — and a write that shrinks or keeps an oversized profile is allowed.
 */
export function tooLarge(before: AttributeMap, after: AttributeMap, maxBytes: number): WriteRefusal | null {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: most profiles are far below the limit, and
  // counting their exact bytes (a native call per name and value) is then not needed.
  if (utf8UpperBound(after) + SESSION_ATTRIBUTES_ROOM <= maxBytes) return null;
  const bytes = countedBytes(after);
  if (bytes <= maxBytes || callerBytes(after) <= callerBytes(before)) return null;
  return { reason: 'profile_too_large', bytes, maxBytes };
}

function utf8UpperBound(attributes: AttributeMap): number {
  let units = 0;
  for (const [name, attribute] of attributes) units += name.length + attribute.value.length;
  return units * 3;
}

/** What a write leaves on the profile row. */
export interface ProfileContent {
  attributes: AttributeMap;
  /** Kept from the existing profile; `now` for a new one. */
  createdAt: number;
  /** The latest modifiedAt of any attribute (createdAt for an empty profile). */
  modifiedAt: number;
  /** Every write stamps a new expiry: a profile lives for its lifetime after its last write. */
  expiresAt: number;
}

/** createdAt is kept from the profile written to (now for a new one); modifiedAt is its latest attribute change. */
export function createdAtOf(existing: { createdAt: number } | null, now: number): number {
  return existing?.createdAt ?? now;
}

/** A write through the profile APIs (single update, admin, bulk row): its moment and its change. */
export interface ProfileWrite {
  now: number;
  /** Expiry stamped on the profile when it is written (now + the client's lifetime). */
  expiresAt: number;
  /** Create a profile when none of the ids is known (v2 batch, delivery, admin); else update-only. */
  create: boolean;
  /** The limit the result is checked against (`tooLarge`); the contract's 64 KB when not given. */
  maxProfileBytes?: number;
  /**
   * Pure function from the stored attributes (empty for a new profile) to the new ones. It may
   * throw to abandon the write; limits are the planner's to check, not its.
   */
  apply(existing: AttributeMap): AttributeMap;
}

/** A write the rules refuse: nothing of it is written but its purges (a store may run them). */
export interface RefusedPlan<P> {
  kind: 'refused';
  purge: readonly Purge<P>[];
  refusal: WriteRefusal;
}

export type ProfileWritePlan<P> =
  /** Update-only and none of the ids leads to a live profile. */
  | { kind: 'not-found'; purge: readonly Purge<P>[] }
  | RefusedPlan<P>
  | (ProfileContent & {
      kind: 'write';
      purge: readonly Purge<P>[];
      /** The live profile written to; null: create one. */
      profile: P | null;
      /** Ids of the request to link to it: the unknown ones. */
      link: VisitorIdRef[];
    });

/**
 * A profile API write: the ids name one visitor. The first id that leads to a live profile picks
 * it, every unknown id is linked to it, and ids leading to two different live profiles are refused
 * (a conflict: the profile APIs never merge). With no live profile, the write creates one or, when
 * update-only, finds nothing. The change then runs on the stored attributes, and the result is
 * checked against the size limit.
 */
export function planProfileWrite<P extends ProfileRead>(resolution: Resolution<P>, write: ProfileWrite): ProfileWritePlan<P> {
  const { ids, purge } = resolution;
  let profile: P | null = null;
  const link: VisitorIdRef[] = [];
  for (const id of ids) {
    if (!id.profile) link.push(id.ref);
    else if (!profile) profile = id.profile;
    else if (id.profile.key !== profile.key) return { kind: 'refused', purge, refusal: { reason: 'ids_conflict' } };
  }
  if (!profile && !write.create) return { kind: 'not-found', purge };
  const before: AttributeMap = profile?.attributes ?? new Map();
  const attributes = write.apply(before);
  const refusal = tooLarge(before, attributes, write.maxProfileBytes ?? DEFAULT_MAX_PROFILE_BYTES);
  if (refusal) return { kind: 'refused', purge, refusal };
  // Object literals only on this path: a spread that adds properties takes V8's slow clone (µs).
  const createdAt = createdAtOf(profile, write.now);
  const modifiedAt = lastModified(attributes, createdAt);
  return { kind: 'write', purge, profile, link, attributes, createdAt, modifiedAt, expiresAt: write.expiresAt };
}

/** What one write came to, for a caller that counts writes rather than throws (a bulk row). */
export type WriteOutcome = { ok: true } | { ok: false; reason: 'not_found' } | { ok: false; reason: 'refused'; message: string };

export const WRITTEN: WriteOutcome = Object.freeze({ ok: true });
export const NOT_FOUND: WriteOutcome = Object.freeze({ ok: false, reason: 'not_found' });

export function refusedOutcome(refusal: WriteRefusal): WriteOutcome {
  return { ok: false, reason: 'refused', message: refusalMessage(refusal) };
}
