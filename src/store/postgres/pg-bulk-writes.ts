import type { IdKind, VisitorIdRef } from '../../domain/identity.js';
import {
  type FoundId,
  NOT_FOUND,
  type ProfileContent,
  planProfileWrite,
  refusedOutcome,
  resolveIds,
  WRITTEN,
  type WriteOutcome,
} from '../../domain/profile-write.js';
import type { ChunkRow } from '../../features/batches/batches-store.js';
import { encodeAttributes, encodeIdList, mintProfileKey } from '../profile-rows.js';
import { copyRows } from './copy-rows.js';
import { type PgClient, RetryTransaction } from './database.js';
import { PG_PROFILE_COLUMNS, type PgProfile, type PgProfileRow, purgeProfiles, toPgProfile } from './id-lists.js';

export type WriteRow = Extract<ChunkRow, { kind: 'write' }>;

/** A profile of the chunk in memory: as read (locked), then as each row in file order leaves it. */
type ChunkProfile = PgProfile;

const idKey = (ref: VisitorIdRef) => `${ref.kind}\u0000${ref.value}`;
const NOTHING_TO_PURGE = Object.freeze([]);

/**
 * Applies the profile writes of one batch chunk with a fixed number of set-based statements,
 * whatever the number of rows: lock the rows' ids (one statement per id kind) and their profiles
 * (one statement), purge expired ones, plan every row in file order in memory, then COPY the
 * resulting profiles into a staging table and merge them with one INSERT … ON CONFLICT, and link
 * new ids with one INSERT.
 *
 * The profile rules (expired is unknown, create or update-only, empty values, duplicates in file
 * order, modifiedAt, 64 KB) are not restated here nor in SQL: each row goes through
 * planProfileWrite (src/domain/profile-write.ts), as a single update does. Returns each row's
 * outcome, in order: a refused row fails alone and leaves its profile as it was. Must run inside a
 * transaction.
 */
export async function applyBulkWrites(db: PgClient, client: string, rows: readonly WriteRow[]): Promise<WriteOutcome[]> {
  if (rows.length === 0) return [];
  const now = rows[0]!.write.now;

  // 1. Lock and read what the rows' ids point to, in a stable order (fewer deadlocks with single updates).
  const found = new Map<string, FoundId<ChunkProfile>>();
  const valuesByKind = new Map<IdKind, string[]>();
  for (const { ref } of rows) {
    const id = idKey(ref);
    if (found.has(id)) continue;
    found.set(id, { ref, key: undefined, profile: undefined });
    if (!valuesByKind.has(ref.kind)) valuesByKind.set(ref.kind, []);
    valuesByKind.get(ref.kind)!.push(ref.value);
  }
  for (const [kind, values] of valuesByKind) {
    const linked = await db.query<{ id_value: string; profile_key: string }>(
      `SELECT id_value, profile_key FROM profile_ids WHERE client = $1 AND id_kind = $2 AND id_value = ANY($3::text[])
        ORDER BY id_value FOR UPDATE`,
      [client, kind, values],
    );
    for (const row of linked.rows) found.get(idKey({ kind, value: row.id_value }))!.key = row.profile_key;
  }
  const profiles = await lockProfiles(db, client, found.values());
  for (const id of found.values()) if (id.key !== undefined) id.profile = profiles.get(id.key);

  // 2. Expired profiles count as unknown and go, with their ids, before any row is applied.
  const { ids, purge } = resolveIds([...found.values()], now);
  await purgeProfiles(db, client, purge);
  const live = new Map<string, ChunkProfile>();
  for (const { ref, profile } of ids) if (profile) live.set(idKey(ref), profile);

  // 3. Every row in file order, in memory: a row sees what the rows before it wrote.
  const outcomes: WriteOutcome[] = [];
  const touched = new Set<ChunkProfile>();
  const newLinks: Array<{ kind: IdKind; value: string; key: string }> = [];
  for (const row of rows) {
    const id = idKey(row.ref);
    const profile = live.get(id) ?? null;
    const plan = planProfileWrite({ ids: [{ ref: row.ref, profile }], purge: NOTHING_TO_PURGE }, row.write);
    if (plan.kind !== 'write') {
      outcomes.push(plan.kind === 'refused' ? refusedOutcome(plan.refusal) : NOT_FOUND);
      continue;
    }
    if (plan.profile) {
      setContent(plan.profile, plan);
      touched.add(plan.profile);
    } else {
      const { attributes, createdAt, modifiedAt, expiresAt } = plan;
      const created: ChunkProfile = {
        key: mintProfileKey(),
        ids: encodeIdList([row.ref]),
        attributes,
        createdAt,
        modifiedAt,
        expiresAt,
        version: 0,
      };
      live.set(id, created);
      newLinks.push({ kind: row.ref.kind, value: row.ref.value, key: created.key });
      touched.add(created);
    }
    outcomes.push(WRITTEN);
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
      [...touched].map((p) => [p.key, encodeAttributes(p.attributes), p.createdAt, p.modifiedAt, p.expiresAt, p.ids]),
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
  return outcomes;
}

function setContent(profile: ChunkProfile, content: ProfileContent): void {
  profile.attributes = content.attributes;
  profile.createdAt = content.createdAt;
  profile.modifiedAt = content.modifiedAt;
  profile.expiresAt = content.expiresAt;
}

/** Locks and reads the profile rows the chunk's ids point to, expired ones included. */
async function lockProfiles(db: PgClient, client: string, found: Iterable<FoundId<unknown>>): Promise<Map<string, ChunkProfile>> {
  const profiles = new Map<string, ChunkProfile>();
  const keys = new Set<string>();
  for (const { key } of found) if (key !== undefined) keys.add(key);
  if (keys.size === 0) return profiles;
  const { rows } = await db.query<PgProfileRow>(
    `SELECT ${PG_PROFILE_COLUMNS} FROM profiles WHERE client = $1 AND profile_key = ANY($2::text[]) ORDER BY profile_key FOR UPDATE`,
    [client, [...keys].sort()],
  );
  for (const row of rows) profiles.set(row.profile_key, toPgProfile(row));
  return profiles;
}
