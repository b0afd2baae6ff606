import type { IdKind, VisitorIdRef } from '../../domain/identity.js';
import type { Purge } from '../../domain/profile-write.js';
import type { StoredProfile } from '../../features/profiles/profiles-store.js';
import { decodeAttributes, decodeIdList, type ProfileRow, uniqueIds } from '../profile-rows.js';
import { type PgClient, RetryTransaction } from './database.js';

/**
 * Each profile row carries the list of its ids (`profiles.ids`, encoded by profile-rows.ts), next
 * to the id table that maps each id to its profile (`profile_ids`). The two are distributed by
 * different keys (Citus), so "every id of this profile" must not be a scan of `profile_ids` by
 * profile key, which would touch every shard: it is read from the profile row, and each id row is
 * then reached by its own key. Every statement that links, moves or unlinks an id updates both, in
 * one transaction; the statements here are the ones that touch several id rows at once.
 */

/** A profile row as PostgreSQL stores read it: with its encoded id list. */
export interface ListedProfile {
  key: string;
  ids: string;
}

export interface PgProfileRow extends ProfileRow {
  /** The profile's ids (profile-rows.ts). */
  ids: string;
  /** Bumped by every write of the row. */
  version: number;
}

export const PG_PROFILE_COLUMNS = 'profile_key, attributes, created_at, modified_at, expires_at, ids, version';

/** A profile row as the write planner sees it, with what a PostgreSQL store needs to write it back. */
export interface PgProfile extends StoredProfile, ListedProfile {
  version: number;
}

export function toPgProfile(row: PgProfileRow): PgProfile {
  // A literal, not a spread of toStoredProfile: spreads that add properties are slow in V8.
  return {
    key: row.profile_key,
    attributes: decodeAttributes(row.attributes),
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
    expiresAt: row.expires_at,
    ids: row.ids,
    version: row.version,
  };
}

function byKind(ids: readonly VisitorIdRef[]): Map<IdKind, string[]> {
  const groups = new Map<IdKind, string[]>();
  for (const { kind, value } of ids) {
    if (!groups.has(kind)) groups.set(kind, []);
    groups.get(kind)!.push(value);
  }
  return groups;
}

/**
 * Deletes the id rows that still point at their profile: for each entry, its `ids` whose row names
 * `key` (an id already re-pointed elsewhere is left alone). One statement per id kind, whatever
 * the number of profiles.
 */
export async function unlinkIds(
  db: PgClient,
  client: string,
  profiles: ReadonlyArray<{ key: string; ids: readonly VisitorIdRef[] }>,
): Promise<void> {
  const groups = new Map<IdKind, { values: string[]; keys: string[] }>();
  for (const { key, ids } of profiles) {
    for (const { kind, value } of ids) {
      if (!groups.has(kind)) groups.set(kind, { values: [], keys: [] });
      groups.get(kind)!.values.push(value);
      groups.get(kind)!.keys.push(key);
    }
  }
  for (const [kind, { values, keys }] of groups) {
    await db.query(
      `DELETE FROM profile_ids WHERE client = $1 AND id_kind = $2 AND id_value = ANY($3::text[])
         AND (id_value, profile_key) IN (SELECT * FROM unnest($3::text[], $4::text[]))`,
      [client, kind, values, keys],
    );
  }
}

/**
 * Carries out a plan's purges (src/domain/profile-write.ts) on locked rows: each profile goes with
 * every id its row lists and the request's ids that named it; a key whose row is already gone only
 * loses those dangling id rows. One statement per id kind, then one for the rows.
 */
export async function purgeProfiles(db: PgClient, client: string, purges: readonly Purge<ListedProfile>[]): Promise<void> {
  if (purges.length === 0) return;
  await unlinkIds(
    db,
    client,
    purges.map(({ key, profile, refs }) => ({ key, ids: uniqueIds([...(profile ? decodeIdList(profile.ids) : []), ...refs]) })),
  );
  const rows = purges.filter((purge) => purge.profile).map((purge) => purge.key);
  if (rows.length === 1) await db.query('DELETE FROM profiles WHERE client = $1 AND profile_key = $2', [client, rows[0]]);
  else if (rows.length > 1) await db.query('DELETE FROM profiles WHERE client = $1 AND profile_key = ANY($2::text[])', [client, rows]);
}

/**
 * Links an id the transaction found unknown to profile `key`. When a concurrent transaction linked
 * it a moment ago, the insert waits for it and then restarts this transaction (RetryTransaction),
 * which finds the id known and uses its profile: the id table's primary key settles the race.
 */
export async function linkUnknownId(db: PgClient, client: string, ref: VisitorIdRef, key: string): Promise<void> {
  const linked = await db.query(
    `INSERT INTO profile_ids (client, id_kind, id_value, profile_key) VALUES ($1, $2, $3, $4)
     ON CONFLICT (client, id_kind, id_value) DO NOTHING`,
    [client, ref.kind, ref.value, key],
  );
  if (linked.rowCount !== 1) throw new RetryTransaction();
}

/** Re-points the id rows of `ids` from profile `from` to profile `to` (one statement per id kind). */
export async function repointIds(db: PgClient, client: string, from: string, to: string, ids: readonly VisitorIdRef[]): Promise<void> {
  for (const [kind, values] of byKind(ids)) {
    await db.query(
      'UPDATE profile_ids SET profile_key = $1 WHERE client = $2 AND id_kind = $3 AND id_value = ANY($4::text[]) AND profile_key = $5',
      [to, client, kind, values, from],
    );
  }
}
