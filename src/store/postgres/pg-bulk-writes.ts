import { type AttributeMap, decodeAttributes, encodeAttributes, lastModified } from '../../domain/attributes.js';
import type { IdKind, VisitorIdRef } from '../../domain/identity.js';
import { BadRequestError } from '../../errors.js';
import type { ChunkRow, FailedRow } from '../../features/batches/batches-store.js';
import { copyRows } from './copy-rows.js';
import { type PgClient, RetryTransaction } from './database.js';
import { decodeIdList, encodeIdList, unlinkIds } from './id-lists.js';

export type WriteRow = Extract<ChunkRow, { kind: 'write' }>;

export interface BulkOutcome {
  written: number;
  notFound: number;
  failures: FailedRow[];
}

interface LoadedProfile {
  attributes: AttributeMap;
  createdAt: number;
  expiresAt: number;
  /** Encoded id list (id-lists.ts). */
  ids: string;
}

const idKey = (kind: string, value: string) => `${kind}\u0000${value}`;
const newProfileKey = () => crypto.randomUUID().replace(/-/g, '');

/**
 * Applies the profile writes of one batch chunk with a fixed number of set-based statements,
 * whatever the number of rows: lock the rows' ids (one statement per id kind) and their profiles
 * (one statement), purge expired ones, run every row's `apply` in file order in memory, then COPY
 * the resulting profiles into a staging table and merge them with one INSERT … ON CONFLICT, and
 * link new ids with one INSERT.
 *
 * The profile rules (empty values, duplicates in file order, modifiedAt, 64 KB) are not restated
 * in SQL: each row's `apply` is the same function a single update runs (ProfilesService), so both
 * stores share them. Must run inside a transaction.
 */
export async function applyBulkWrites(db: PgClient, client: string, rows: readonly WriteRow[]): Promise<BulkOutcome> {
  const outcome: BulkOutcome = { written: 0, notFound: 0, failures: [] };
  if (rows.length === 0) return outcome;
  const now = rows[0]!.write.now;

  // 1. Lock and read what the rows' ids point to, in a stable order (fewer deadlocks with single updates).
  const keyOfId = new Map<string, string>();
  const valuesByKind = new Map<IdKind, Set<string>>();
  for (const { ref } of rows) {
    if (!valuesByKind.has(ref.kind)) valuesByKind.set(ref.kind, new Set());
    valuesByKind.get(ref.kind)!.add(ref.value);
  }
  for (const [kind, values] of valuesByKind) {
    const found = await db.query<{ id_value: string; profile_key: string }>(
      `SELECT id_value, profile_key FROM profile_ids WHERE client = $1 AND id_kind = $2 AND id_value = ANY($3::text[])
        ORDER BY id_value FOR UPDATE`,
      [client, kind, [...values]],
    );
    for (const row of found.rows) keyOfId.set(idKey(kind, row.id_value), row.profile_key);
  }
  const profiles = await loadProfiles(db, client, keyOfId, now);
  for (const [id, key] of keyOfId) if (!profiles.has(key)) keyOfId.delete(id);

  // 2. Every row in file order, in memory.
  const touched = new Set<string>();
  const newLinks: Array<{ kind: IdKind; value: string; key: string }> = [];
  for (const row of rows) {
    const id = idKey(row.ref.kind, row.ref.value);
    const key = keyOfId.get(id);
    if (key === undefined && !row.write.create) {
      outcome.notFound++;
      continue;
    }
    const profile = key === undefined ? undefined : profiles.get(key)!;
    let attributes: AttributeMap;
    try {
      attributes = row.write.apply(profile?.attributes ?? new Map());
    } catch (err) {
      // A domain rejection (e.g. over 64 KB) fails this row only; the profile stays as it was.
      if (!(err instanceof BadRequestError)) throw err;
      outcome.failures.push({ line: row.line, key: row.key, reason: err.message });
      continue;
    }
    if (key === undefined) {
      const created = newProfileKey();
      keyOfId.set(id, created);
      newLinks.push({ kind: row.ref.kind, value: row.ref.value, key: created });
      profiles.set(created, { attributes, createdAt: row.write.now, expiresAt: row.write.expiresAt, ids: encodeIdList([row.ref]) });
      touched.add(created);
    } else {
      profile!.attributes = attributes;
      profile!.expiresAt = row.write.expiresAt;
      touched.add(key);
    }
    outcome.written++;
  }

  // 3. Write back: one COPY and one merge for the profiles, one INSERT for the new ids.
  if (touched.size > 0) {
    await db.query(
      `CREATE TEMP TABLE IF NOT EXISTS staged_profiles (
         profile_key TEXT NOT NULL, attributes TEXT NOT NULL, created_at BIGINT NOT NULL,
         modified_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, ids TEXT NOT NULL) ON COMMIT DELETE ROWS`,
    );
    await copyRows(
      db,
      'staged_profiles',
      ['profile_key', 'attributes', 'created_at', 'modified_at', 'expires_at', 'ids'],
      [...touched].map((key) => {
        const p = profiles.get(key)!;
        return [key, encodeAttributes(p.attributes), p.createdAt, lastModified(p.attributes, p.createdAt), p.expiresAt, p.ids];
      }),
    );
    await db.query(
      `INSERT INTO profiles (client, profile_key, attributes, created_at, modified_at, expires_at, ids)
       SELECT $1, profile_key, attributes, created_at, modified_at, expires_at, ids FROM staged_profiles
       ON CONFLICT (client, profile_key) DO UPDATE SET attributes = excluded.attributes, modified_at = excluded.modified_at,
         expires_at = excluded.expires_at, ids = excluded.ids, version = profiles.version + 1`,
      [client],
    );
  }
  if (newLinks.length > 0) {
    const linked = await db.query(
      `INSERT INTO profile_ids (client, id_kind, id_value, profile_key)
       SELECT $1, id_kind, id_value, profile_key FROM unnest($2::text[], $3::text[], $4::text[]) AS t(id_kind, id_value, profile_key)
       ON CONFLICT (client, id_kind, id_value) DO NOTHING`,
      [client, newLinks.map((l) => l.kind), newLinks.map((l) => l.value), newLinks.map((l) => l.key)],
    );
    // Another writer linked one of these ids meanwhile: run the chunk again, it will find that profile.
    if (linked.rowCount !== newLinks.length) throw new RetryTransaction();
  }
  return outcome;
}

/**
 * Locks and reads the live profiles the chunk's ids point to (`keyOfId`: id → profile key).
 * Expired ones are purged with their ids, and ids pointing at a missing profile are unlinked.
 */
async function loadProfiles(
  db: PgClient,
  client: string,
  keyOfId: ReadonlyMap<string, string>,
  now: number,
): Promise<Map<string, LoadedProfile>> {
  const live = new Map<string, LoadedProfile>();
  const keys = [...new Set(keyOfId.values())].sort();
  if (keys.length === 0) return live;
  const { rows } = await db.query<{ profile_key: string; attributes: string; created_at: number; expires_at: number; ids: string }>(
    `SELECT profile_key, attributes, created_at, expires_at, ids FROM profiles WHERE client = $1 AND profile_key = ANY($2::text[])
      ORDER BY profile_key FOR UPDATE`,
    [client, keys],
  );
  const dead = new Map<string, VisitorIdRef[]>();
  for (const row of rows) {
    if (row.expires_at > now) {
      live.set(row.profile_key, {
        attributes: decodeAttributes(row.attributes),
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        ids: row.ids,
      });
    } else {
      dead.set(row.profile_key, decodeIdList(row.ids));
    }
  }
  for (const [id, key] of keyOfId) {
    if (live.has(key)) continue;
    const [kind, value] = id.split('\u0000') as [IdKind, string];
    dead.set(key, [...(dead.get(key) ?? []), { kind, value }]);
  }
  if (dead.size > 0) {
    await unlinkIds(
      db,
      client,
      [...dead].map(([key, ids]) => ({ key, ids })),
    );
    await db.query('DELETE FROM profiles WHERE client = $1 AND profile_key = ANY($2::text[])', [client, [...dead.keys()]]);
  }
  return live;
}
