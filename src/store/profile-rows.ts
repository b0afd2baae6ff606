import { randomFillSync } from 'node:crypto';
import type { AttributeMap } from '../domain/attributes.js';
import type { IdKind, VisitorIdRef } from '../domain/identity.js';
import type { SessionState } from '../domain/sessions.js';
import type { ProfileContent } from '../domain/profile-write.js';
import type { VisitedProfile, VisitPlan } from '../domain/visit-plan.js';
import type { RecordedVisit } from '../features/delivery/visits-store.js';
import type { StoredProfile, WrittenProfile } from '../features/profiles/profiles-store.js';

/**
 * How a profile is kept in a `profiles` row, for both stores: the encoding of each column and the
 * minting of new keys. Both stores read and write these columns the same way, so a database moved
 * from one to the other (or read by a test) means the same thing.
 */
export interface ProfileRow {
  profile_key: string;
  attributes: string;
  created_at: number;
  modified_at: number;
  expires_at: number;
}

export function toStoredProfile(row: ProfileRow): StoredProfile {
  return {
    key: row.profile_key,
    attributes: decodeAttributes(row.attributes),
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
    expiresAt: row.expires_at,
  };
}

/** The columns a visit reads of a profile row. */
export interface VisitRow {
  profile_key: string;
  attributes: string;
  session_state: string | null;
  created_at: number;
  expires_at: number;
}

/** A visited profile row as visit-plan.ts sees it; whether it names a person is read by each store its own way. */
export function toVisitedProfile(row: VisitRow, identified: boolean): VisitedProfile {
  return {
    key: row.profile_key,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    attributes: decodeAttributes(row.attributes),
    session: decodeSession(row.session_state),
    identified,
  };
}

/** What a write returns: the profile as the plan left it (the row holds exactly this). */
export function writtenProfile(key: string, content: ProfileContent, created: boolean, ids: VisitorIdRef[]): WrittenProfile {
  const { attributes, createdAt, modifiedAt, expiresAt } = content;
  return { profile: { key, attributes, createdAt, modifiedAt, expiresAt }, created, ids };
}

/** What a visit returns: where it landed and the state the plan left there. */
export function recordedVisit(
  key: string,
  plan: Extract<VisitPlan<unknown>, { kind: 'visit' }>,
  replayedNotifications: number,
): RecordedVisit {
  return {
    key,
    created: !plan.profile,
    absorbed: plan.absorbed.length,
    state: { attributes: plan.attributes, session: plan.session },
    replayedNotifications,
  };
}

/** `attributes`: a JSON array of `[name, value, modifiedAtMs]`, safe for any name (`__proto__` included). */
export function encodeAttributes(attributes: AttributeMap): string {
  // Same text as JSON.stringify of the array of triples, without building the triples (bulk
  // writes encode hundreds of thousands of profiles). modifiedAt is always a finite integer.
  let out = '[';
  for (const [name, { value, modifiedAt }] of attributes) {
    out += (out.length === 1 ? '[' : ',[') + JSON.stringify(name) + ',' + JSON.stringify(value) + ',' + String(modifiedAt) + ']';
  }
  return out + ']';
}

export function decodeAttributes(encoded: string): AttributeMap {
  const rows = JSON.parse(encoded) as Array<[string, string, number]>;
  const attributes: AttributeMap = new Map();
  for (const [name, value, modifiedAt] of rows) attributes.set(name, { value, modifiedAt });
  return attributes;
}

/** `session_state`: the session bookkeeping of delivery visits as JSON, null before the first visit. */
export function encodeSession(session: SessionState | null): string | null {
  return session ? JSON.stringify(session) : null;
}

/** A stored session state that is not well formed reads as none: the next visit starts a session. */
export function decodeSession(encoded: string | null): SessionState | null {
  if (encoded === null) return null;
  const session = JSON.parse(encoded) as Partial<SessionState>;
  if (typeof session.id !== 'string' || typeof session.lastSeenAt !== 'number' || typeof session.startedAt !== 'number') {
    return null;
  }
  return { id: session.id, startedAt: session.startedAt, lastSeenAt: session.lastSeenAt, previousVisitAt: session.previousVisitAt ?? null };
}

/**
 * `ids` (PostgreSQL rows, ADR 005): the profile's ids as JSON `[[kind, value], …]`, sorted by kind
 * then value, without duplicates.
 */
export function encodeIdList(ids: Iterable<VisitorIdRef>): string {
  return JSON.stringify(uniqueIds(ids).map(({ kind, value }) => [kind, value]));
}

export function decodeIdList(encoded: string): VisitorIdRef[] {
  return (JSON.parse(encoded) as Array<[IdKind, string]>).map(([kind, value]) => ({ kind, value }));
}

/** `ids` sorted by kind then value, without duplicates. */
export function uniqueIds(ids: Iterable<VisitorIdRef>): VisitorIdRef[] {
  const unique = new Map<string, VisitorIdRef>();
  for (const { kind, value } of ids) unique.set(`${kind}\u0000${value}`, { kind, value });
  return [...unique.values()].sort((a, b) => (a.kind === b.kind ? compare(a.value, b.value) : compare(a.kind, b.kind)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An encoded id list without `gone`, encoded. */
export function withoutIds(encoded: string, gone: readonly VisitorIdRef[]): string {
  const drop = new Set(gone.map((ref) => `${ref.kind}\u0000${ref.value}`));
  return encodeIdList(decodeIdList(encoded).filter((ref) => !drop.has(`${ref.kind}\u0000${ref.value}`)));
}

let lastKeyMillis = 0;
let keySequence = 0;
/** Random bytes drawn in bulk (one system call per 1,024 keys), 8 per key. */
const randomPool = Buffer.alloc(8 * 1024);
let randomOffset = randomPool.length;

/**
 * A new internal profile key: 32 hex characters, time-ordered (12 of epoch ms, 4 of a per-ms
 * sequence, 16 random), so new profiles land at the end of the primary-key B-tree: random keys
 * scatter every insert over the whole table and made bulk creation on SQLite about 8× slower.
 * The 64 random bits keep keys minted in the same millisecond by other processes apart.
 */
export function mintProfileKey(): string {
  const now = Date.now();
  keySequence = now === lastKeyMillis ? keySequence + 1 : 0;
  lastKeyMillis = now;
  if (randomOffset === randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const random = randomPool.toString('hex', randomOffset, randomOffset + 8);
  randomOffset += 8;
  return now.toString(16).padStart(12, '0') + (keySequence & 0xffff).toString(16).padStart(4, '0') + random;
}
