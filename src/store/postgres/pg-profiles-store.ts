import { decodeAttributes, encodeAttributes, lastModified } from '../../domain/attributes.js';
import type { IdKind, VisitorIdRef } from '../../domain/identity.js';
import { ConflictError } from '../../errors.js';
import type {
  DeletedProfile,
  ProfilesStore,
  ProfileWrite,
  StoredProfile,
  WrittenProfile,
} from '../../features/profiles/profiles-store.js';
import { inTransaction, type PgClient, type PgPool, RetryTransaction } from './database.js';
import { type ProfileRow, toStoredProfile as toProfile } from '../shared-rows.js';

function newProfileKey(): string {
  return crypto.randomUUID().replace(/-/g, '');
}

const PROFILE_COLUMNS = 'profile_key, attributes, created_at, modified_at, expires_at';

/**
 * Profiles on PostgreSQL. A write locks the id rows and the profile row (`FOR UPDATE`) before
 * reading, so read-modify-writes are atomic across processes. Creating races (two requests
 * creating the same unknown id) are settled by the id table's primary key: the loser retries and
 * finds the winner's profile. Every statement names the client and the key it touches.
 */
export class PgProfilesStore implements ProfilesStore {
  constructor(private readonly pool: PgPool) {}

  async find(client: string, ref: VisitorIdRef, now: number): Promise<StoredProfile | null> {
    // Two single-shard reads instead of a join: ids and profiles are distributed by different keys.
    const key = await this.keyOf(this.pool, client, ref, false);
    if (key === undefined) return null;
    const { rows } = await this.pool.query<ProfileRow>(`SELECT ${PROFILE_COLUMNS} FROM profiles WHERE client = $1 AND profile_key = $2`, [
      client,
      key,
    ]);
    const row = rows[0];
    return row && row.expires_at > now ? toProfile(row) : null;
  }

  private async keyOf(db: PgClient | PgPool, client: string, ref: VisitorIdRef, lock: boolean): Promise<string | undefined> {
    const { rows } = await db.query<{ profile_key: string }>(
      `SELECT profile_key FROM profile_ids WHERE client = $1 AND id_kind = $2 AND id_value = $3${lock ? ' FOR UPDATE' : ''}`,
      [client, ref.kind, ref.value],
    );
    return rows[0]?.profile_key;
  }

  async write(client: string, refs: readonly VisitorIdRef[], write: ProfileWrite): Promise<WrittenProfile | null> {
    return inTransaction(this.pool, (db) => this.writeLocked(db, client, refs, write));
  }

  private async writeLocked(db: PgClient, client: string, refs: readonly VisitorIdRef[], write: ProfileWrite): Promise<WrittenProfile | null> {
    let live: ProfileRow | undefined;
    const unlinked: VisitorIdRef[] = [];
    for (const ref of refs) {
      const key = await this.keyOf(db, client, ref, true);
      const row = key === undefined ? undefined : await this.liveProfile(db, client, key, write.now);
      if (!row) {
        // An id whose profile has expired was purged with it; a dangling one is dropped here.
        if (key !== undefined) await this.unlinkId(db, client, ref);
        unlinked.push(ref);
      } else if (!live) {
        live = row;
      } else if (live.profile_key !== row.profile_key) {
        throw new ConflictError('the ids given belong to two different profiles', 'ids_conflict');
      }
    }
    if (!live && !write.create) return null;

    const existing = live ? toProfile(live) : null;
    const key = existing?.key ?? newProfileKey();
    for (const ref of unlinked) {
      // A concurrent writer may have linked this id a moment ago: then start over and use its profile.
      const linked = await db.query(
        `INSERT INTO profile_ids (client, id_kind, id_value, profile_key) VALUES ($1, $2, $3, $4)
         ON CONFLICT (client, id_kind, id_value) DO NOTHING`,
        [client, ref.kind, ref.value, key],
      );
      if (linked.rowCount !== 1) throw new RetryTransaction();
    }
    const attributes = write.apply(existing?.attributes ?? new Map());
    const createdAt = existing?.createdAt ?? write.now;
    const modifiedAt = lastModified(attributes, createdAt);
    await db.query(
      `INSERT INTO profiles (client, profile_key, attributes, created_at, modified_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (client, profile_key) DO UPDATE SET
         attributes = excluded.attributes, modified_at = excluded.modified_at, expires_at = excluded.expires_at`,
      [client, key, encodeAttributes(attributes), createdAt, modifiedAt, write.expiresAt],
    );
    return {
      profile: { key, attributes, createdAt, modifiedAt, expiresAt: write.expiresAt },
      created: !existing,
      ids: await this.listIds(db, client, key),
    };
  }

  /** The locked profile row, or undefined when missing or expired (an expired one is purged now). */
  private async liveProfile(db: PgClient, client: string, key: string, now: number): Promise<ProfileRow | undefined> {
    const { rows } = await db.query<ProfileRow>(`SELECT ${PROFILE_COLUMNS} FROM profiles WHERE client = $1 AND profile_key = $2 FOR UPDATE`, [
      client,
      key,
    ]);
    const row = rows[0];
    if (row && row.expires_at <= now) {
      await this.purge(db, client, key);
      return undefined;
    }
    return row;
  }

  private async unlinkId(db: PgClient, client: string, ref: VisitorIdRef): Promise<void> {
    await db.query('DELETE FROM profile_ids WHERE client = $1 AND id_kind = $2 AND id_value = $3', [client, ref.kind, ref.value]);
  }

  private async purge(db: PgClient, client: string, key: string): Promise<void> {
    await db.query('DELETE FROM profile_ids WHERE client = $1 AND profile_key = $2', [client, key]);
    await db.query('DELETE FROM profiles WHERE client = $1 AND profile_key = $2', [client, key]);
  }

  private async listIds(db: PgClient | PgPool, client: string, key: string): Promise<VisitorIdRef[]> {
    const { rows } = await db.query<{ id_kind: IdKind; id_value: string }>(
      'SELECT id_kind, id_value FROM profile_ids WHERE client = $1 AND profile_key = $2 ORDER BY id_kind, id_value',
      [client, key],
    );
    return rows.map((row) => ({ kind: row.id_kind, value: row.id_value }));
  }

  async idsOf(client: string, key: string): Promise<VisitorIdRef[]> {
    return this.listIds(this.pool, client, key);
  }

  async delete(client: string, ref: VisitorIdRef): Promise<DeletedProfile | null> {
    return inTransaction(this.pool, async (db) => {
      const key = await this.keyOf(db, client, ref, true);
      if (key === undefined) return null;
      const profile = await db.query<ProfileRow>(`SELECT ${PROFILE_COLUMNS} FROM profiles WHERE client = $1 AND profile_key = $2 FOR UPDATE`, [
        client,
        key,
      ]);
      const ids = await this.listIds(db, client, key);
      await this.purge(db, client, key);
      return { key, ids, attributeCount: profile.rows[0] ? decodeAttributes(profile.rows[0].attributes).size : 0 };
    });
  }

  async sweepExpired(now: number, limit: number): Promise<number> {
    // Find candidates without locks, then purge each profile in its own small transaction so that
    // a sweep never holds locks that traffic is waiting for.
    const { rows } = await this.pool.query<{ client: string; profile_key: string }>(
      'SELECT client, profile_key FROM profiles WHERE expires_at <= $1 LIMIT $2',
      [now, limit],
    );
    let removed = 0;
    for (const { client, profile_key } of rows) {
      removed += await inTransaction(this.pool, async (db) => {
        const locked = await db.query<{ expires_at: number }>(
          'SELECT expires_at FROM profiles WHERE client = $1 AND profile_key = $2 FOR UPDATE',
          [client, profile_key],
        );
        if (!locked.rows[0] || locked.rows[0].expires_at > now) return 0;
        await this.purge(db, client, profile_key);
        return 1;
      });
    }
    return removed;
  }
}
