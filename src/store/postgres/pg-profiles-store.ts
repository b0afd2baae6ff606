import { LRUCache } from 'lru-cache';
import type { VisitorIdRef } from '../../domain/identity.js';
import { type FoundId, type ProfileWrite, planProfileWrite, refusalError, resolveIds } from '../../domain/profile-write.js';
import type { DeletedProfile, ProfilesStore, StoredProfile, WrittenProfile } from '../../features/profiles/profiles-store.js';
import {
  decodeAttributes,
  decodeIdList,
  encodeAttributes,
  encodeIdList,
  mintProfileKey,
  toStoredProfile as toProfile,
  uniqueIds,
  writtenProfile,
} from '../profile-rows.js';
import { inTransaction, type PgClient, type PgPool } from './database.js';
import { linkUnknownId, PG_PROFILE_COLUMNS, type PgProfile, type PgProfileRow, purgeProfiles, toPgProfile } from './id-lists.js';

/** Whether `ids` holds `ref`. */
function holds(ids: readonly VisitorIdRef[], ref: VisitorIdRef): boolean {
  return ids.some((id) => id.kind === ref.kind && id.value === ref.value);
}

/**
 * Profiles on PostgreSQL, atomic across processes:
 * - The common single update (one id of a live profile) takes two or three statements and no
 *   explicit transaction: read the profile without locks (through its id row, or straight away
 *   when the id's key is remembered), then write back only if the profile's `version` is still
 *   the one read. Every write of a profile row bumps its version, and every change to where an id
 *   points rewrites the profiles it leaves and joins; so if the row read lists the id and still
 *   has its version at the write, nothing moved in between.
 * - Anything else (creating, linking several ids, expired profiles, a lost race) runs the locked
 *   path: lock the id rows and the profile row (`FOR UPDATE`), then write. Creating races (two
 *   requests creating the same unknown id) are settled by the id table's primary key: the loser
 *   retries and finds the winner's profile.
 * Both paths read, ask planProfileWrite (src/domain/profile-write.ts) what to do, and run the plan;
 * the optimistic path runs only plans that update the profile it read, and leaves the others
 * (purge, create, link) to the locked path.
 * Every statement names the client and the key it touches (single-shard on Citus). The hot ones
 * are named prepared statements: PostgreSQL parses and plans them once per connection.
 */
export class PgProfilesStore implements ProfilesStore {
  /**
   * Where ids pointed when last read (client, kind, value → profile key), so that a read by id can
   * go straight to the profile row: one statement instead of two. Only a hint: the row read must
   * still list the id, else the id row is read. Safe across nodes, because an id that moves
   * rewrites the id lists of both profiles in the same transaction.
   */
  private readonly keyHints: LRUCache<string, string>;

  constructor(
    private readonly pool: PgPool,
    options: { keyHints?: number } = {},
  ) {
    this.keyHints = new LRUCache({ max: options.keyHints ?? 100_000 });
  }

  async find(client: string, ref: VisitorIdRef, now: number): Promise<StoredProfile | null> {
    const found = await this.readByRef(client, ref);
    return found && found.row.expires_at > now ? toProfile(found.row) : null;
  }

  /**
   * The profile row `ref` points to, read without locks, with its decoded ids; `listed` when they
   * hold `ref` (always, but for ids linked before the id lists existed and left dangling). Ids and
   * profiles are distributed by different keys, so this is one or two single-shard reads, never a join.
   */
  private async readByRef(
    client: string,
    ref: VisitorIdRef,
  ): Promise<{ row: PgProfileRow; ids: VisitorIdRef[]; listed: boolean } | undefined> {
    const hint = `${client}\u0000${ref.kind}\u0000${ref.value}`;
    const hinted = this.keyHints.get(hint);
    if (hinted !== undefined) {
      const row = await this.readProfile(this.pool, client, hinted, false);
      const ids = row ? decodeIdList(row.ids) : [];
      if (row && holds(ids, ref)) return { row, ids, listed: true };
      this.keyHints.delete(hint);
    }
    const key = await this.keyOf(this.pool, client, ref, false);
    if (key === undefined) return undefined;
    const row = await this.readProfile(this.pool, client, key, false);
    if (!row) return undefined;
    const ids = decodeIdList(row.ids);
    const listed = holds(ids, ref);
    if (listed) this.keyHints.set(hint, key);
    return { row, ids, listed };
  }

  private async keyOf(db: PgClient | PgPool, client: string, ref: VisitorIdRef, lock: boolean): Promise<string | undefined> {
    const { rows } = await db.query<{ profile_key: string }>({
      name: lock ? 'profiles.key-of.locked' : 'profiles.key-of',
      text: `SELECT profile_key FROM profile_ids WHERE client = $1 AND id_kind = $2 AND id_value = $3${lock ? ' FOR UPDATE' : ''}`,
      values: [client, ref.kind, ref.value],
    });
    return rows[0]?.profile_key;
  }

  private async readProfile(db: PgClient | PgPool, client: string, key: string, lock: boolean): Promise<PgProfileRow | undefined> {
    const { rows } = await db.query<PgProfileRow>({
      name: lock ? 'profiles.read.locked' : 'profiles.read',
      text: `SELECT ${PG_PROFILE_COLUMNS} FROM profiles WHERE client = $1 AND profile_key = $2${lock ? ' FOR UPDATE' : ''}`,
      values: [client, key],
    });
    return rows[0];
  }

  async write(client: string, refs: readonly VisitorIdRef[], write: ProfileWrite): Promise<WrittenProfile | null> {
    if (refs.length === 1) {
      const written = await this.writeIfUnchanged(client, refs[0]!, write);
      if (written) return written;
    }
    return inTransaction(this.pool, (db) => this.writeLocked(db, client, refs, write));
  }

  /** The optimistic path (see the class comment); undefined when the locked path must run. */
  private async writeIfUnchanged(client: string, ref: VisitorIdRef, write: ProfileWrite): Promise<WrittenProfile | undefined> {
    const found = await this.readByRef(client, ref);
    if (!found?.listed) return undefined;
    const read = toPgProfile(found.row);
    const plan = planProfileWrite(resolveIds([{ ref, key: read.key, profile: read }], write.now), write);
    if (plan.kind === 'refused') throw refusalError(plan.refusal);
    // Expired: the locked path purges it (and creates a new profile, if asked to).
    if (plan.kind !== 'write' || plan.profile === null) return undefined;
    const updated = await this.pool.query({
      name: 'profiles.write-if-unchanged',
      text: `UPDATE profiles SET attributes = $3, modified_at = $4, expires_at = $5, version = version + 1
        WHERE client = $1 AND profile_key = $2 AND version = $6`,
      values: [client, read.key, encodeAttributes(plan.attributes), plan.modifiedAt, plan.expiresAt, read.version],
    });
    if (updated.rowCount !== 1) return undefined;
    return writtenProfile(read.key, plan, false, found.ids);
  }

  private async writeLocked(
    db: PgClient,
    client: string,
    refs: readonly VisitorIdRef[],
    write: ProfileWrite,
  ): Promise<WrittenProfile | null> {
    const plan = planProfileWrite(resolveIds(await this.readLocked(db, client, refs), write.now), write);
    if (plan.kind === 'refused') throw refusalError(plan.refusal);
    await purgeProfiles(db, client, plan.purge);
    if (plan.kind === 'not-found') return null;

    const key = plan.profile?.key ?? mintProfileKey();
    // A concurrent writer may have linked one of these ids a moment ago: then start over and use its profile.
    for (const ref of plan.link) await linkUnknownId(db, client, ref, key);
    const ids = encodeIdList([...(plan.profile ? decodeIdList(plan.profile.ids) : []), ...plan.link]);
    await db.query(
      `INSERT INTO profiles (client, profile_key, attributes, created_at, modified_at, expires_at, ids)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (client, profile_key) DO UPDATE SET attributes = excluded.attributes, modified_at = excluded.modified_at,
         expires_at = excluded.expires_at, ids = excluded.ids, version = profiles.version + 1`,
      [client, key, encodeAttributes(plan.attributes), plan.createdAt, plan.modifiedAt, plan.expiresAt, ids],
    );
    return writtenProfile(key, plan, plan.profile === null, decodeIdList(ids));
  }

  /** The id rows of `refs` and the profile rows they name, locked (`FOR UPDATE`), each profile read once. */
  private async readLocked(db: PgClient, client: string, refs: readonly VisitorIdRef[]): Promise<FoundId<PgProfile>[]> {
    const read = new Map<string, PgProfile | undefined>();
    const found: FoundId<PgProfile>[] = [];
    for (const ref of refs) {
      const key = await this.keyOf(db, client, ref, true);
      if (key !== undefined && !read.has(key)) {
        const row = await this.readProfile(db, client, key, true);
        read.set(key, row && toPgProfile(row));
      }
      found.push({ ref, key, profile: key === undefined ? undefined : read.get(key) });
    }
    return found;
  }

  /** Deletes a locked profile row (if any) with its ids and `alsoIds` that point at it; returns those ids. */
  private async purge(
    db: PgClient,
    client: string,
    key: string,
    row: PgProfileRow | undefined,
    alsoIds: readonly VisitorIdRef[] = [],
  ): Promise<VisitorIdRef[]> {
    await purgeProfiles(db, client, [{ key, profile: row && { key, ids: row.ids }, refs: [...alsoIds] }]);
    return uniqueIds([...(row ? decodeIdList(row.ids) : []), ...alsoIds]);
  }

  async idsOf(client: string, key: string): Promise<VisitorIdRef[]> {
    const { rows } = await this.pool.query<{ ids: string }>('SELECT ids FROM profiles WHERE client = $1 AND profile_key = $2', [
      client,
      key,
    ]);
    return rows[0] ? decodeIdList(rows[0].ids) : [];
  }

  async delete(client: string, ref: VisitorIdRef): Promise<DeletedProfile | null> {
    return inTransaction(this.pool, async (db) => {
      const key = await this.keyOf(db, client, ref, true);
      if (key === undefined) return null;
      const row = await this.readProfile(db, client, key, true);
      const ids = await this.purge(db, client, key, row, [ref]);
      return { key, ids, attributeCount: row ? decodeAttributes(row.attributes).size : 0 };
    });
  }

  async sweepExpired(now: number, limit: number): Promise<number> {
    // Find candidates without locks (the one scan of every shard, by nature: docs/scaling.md), then
    // purge each profile in its own small transaction so that a sweep never holds locks that
    // traffic is waiting for.
    const { rows } = await this.pool.query<{ client: string; profile_key: string }>(
      'SELECT client, profile_key FROM profiles WHERE expires_at <= $1 LIMIT $2',
      [now, limit],
    );
    let removed = 0;
    for (const { client, profile_key } of rows) {
      removed += await inTransaction(this.pool, async (db) => {
        const row = await this.readProfile(db, client, profile_key, true);
        if (!row || row.expires_at > now) return 0;
        await this.purge(db, client, profile_key, row);
        return 1;
      });
    }
    return removed;
  }
}
