import type { IdKind, VisitorIdRef } from '../../domain/identity.js';
import type { PgClient } from './database.js';

/**
 * Each profile row carries the list of its ids (`profiles.ids`), next to the id table that maps
 * each id to its profile (`profile_ids`). The two are distributed by different keys (Citus), so
 * "every id of this profile" must not be a scan of `profile_ids` by profile key, which would
 * touch every shard: it is read from the profile row, and each id row is then reached by its own
 * key. Every statement that links, moves or unlinks an id updates both, in one transaction.
 *
 * Encoding: JSON `[[kind, value], …]`, sorted by kind then value, without duplicates.
 */
/** `ids` sorted by kind then value, without duplicates. */
export function uniqueIds(ids: Iterable<VisitorIdRef>): VisitorIdRef[] {
  const unique = new Map<string, VisitorIdRef>();
  for (const { kind, value } of ids) unique.set(`${kind}\u0000${value}`, { kind, value });
  return [...unique.values()].sort((a, b) => (a.kind === b.kind ? compare(a.value, b.value) : compare(a.kind, b.kind)));
}

export function encodeIdList(ids: Iterable<VisitorIdRef>): string {
  return JSON.stringify(uniqueIds(ids).map(({ kind, value }) => [kind, value]));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function decodeIdList(encoded: string): VisitorIdRef[] {
  return (JSON.parse(encoded) as Array<[IdKind, string]>).map(([kind, value]) => ({ kind, value }));
}

/** `ids` without `gone`, encoded. */
export function withoutIds(encoded: string, gone: readonly VisitorIdRef[]): string {
  const drop = new Set(gone.map((ref) => `${ref.kind}\u0000${ref.value}`));
  return encodeIdList(decodeIdList(encoded).filter((ref) => !drop.has(`${ref.kind}\u0000${ref.value}`)));
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

/** Re-points the id rows of `ids` from profile `from` to profile `to` (one statement per id kind). */
export async function repointIds(db: PgClient, client: string, from: string, to: string, ids: readonly VisitorIdRef[]): Promise<void> {
  for (const [kind, values] of byKind(ids)) {
    await db.query(
      'UPDATE profile_ids SET profile_key = $1 WHERE client = $2 AND id_kind = $3 AND id_value = ANY($4::text[]) AND profile_key = $5',
      [to, client, kind, values, from],
    );
  }
}
