import type { IdKind, VisitorIdRef } from '../../domain/identity.js';
import {
  type FoundId,
  NOT_FOUND,
  type ProfileWrite,
  type ProfileWritePlan,
  planProfileWrite,
  refusalError,
  refusedOutcome,
  resolveIds,
  WRITTEN,
  type WriteOutcome,
} from '../../domain/profile-write.js';
import type { DeletedProfile, ProfilesStore, StoredProfile, WrittenProfile } from '../../features/profiles/profiles-store.js';
import {
  decodeAttributes,
  encodeAttributes,
  mintProfileKey,
  type ProfileRow,
  toStoredProfile as toProfile,
  writtenProfile,
} from '../profile-rows.js';
import type { SqliteDatabase } from './database.js';
import { GroupCommit } from './group-commit.js';

interface IdRow {
  id_kind: IdKind;
  id_value: string;
}

/**
 * Profiles on the embedded store. Every write runs in a `BEGIN IMMEDIATE` transaction, which
 * takes SQLite's write lock before the profile is read: the read-modify-write is atomic even when
 * several processes share the database file. What a write does is planProfileWrite's decision
 * (src/domain/profile-write.ts); this store reads its input and runs the plan.
 */
export class SqliteProfilesStore implements ProfilesStore {
  private readonly keyOf;
  private readonly profileByKey;
  private readonly profileById;
  private readonly upsertProfile;
  private readonly linkId;
  private readonly idsOfKey;
  private readonly deleteIdsOfKey;
  private readonly deleteProfileByKey;
  private readonly expiredKeys;
  private readonly writes: GroupCommit;

  constructor(private readonly db: SqliteDatabase) {
    this.writes = new GroupCommit(db);
    this.keyOf = db
      .prepare<[string, IdKind, string], string>('SELECT profile_key FROM profile_ids WHERE client = ? AND id_kind = ? AND id_value = ?')
      .pluck();
    this.profileByKey = db.prepare<[string, string], ProfileRow>(
      'SELECT profile_key, attributes, created_at, modified_at, expires_at FROM profiles WHERE client = ? AND profile_key = ?',
    );
    this.profileById = db.prepare<[string, IdKind, string], ProfileRow>(
      `SELECT p.profile_key, p.attributes, p.created_at, p.modified_at, p.expires_at
         FROM profile_ids i JOIN profiles p ON p.client = i.client AND p.profile_key = i.profile_key
        WHERE i.client = ? AND i.id_kind = ? AND i.id_value = ?`,
    );
    this.upsertProfile = db.prepare(
      `INSERT INTO profiles (client, profile_key, attributes, created_at, modified_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (client, profile_key) DO UPDATE SET
         attributes = excluded.attributes, modified_at = excluded.modified_at, expires_at = excluded.expires_at`,
    );
    this.linkId = db.prepare(
      `INSERT INTO profile_ids (client, id_kind, id_value, profile_key) VALUES (?, ?, ?, ?)
       ON CONFLICT (client, id_kind, id_value) DO UPDATE SET profile_key = excluded.profile_key`,
    );
    this.idsOfKey = db.prepare<[string, string], IdRow>(
      'SELECT id_kind, id_value FROM profile_ids WHERE client = ? AND profile_key = ? ORDER BY id_kind, id_value',
    );
    this.deleteIdsOfKey = db.prepare('DELETE FROM profile_ids WHERE client = ? AND profile_key = ?');
    this.deleteProfileByKey = db.prepare('DELETE FROM profiles WHERE client = ? AND profile_key = ?');
    this.expiredKeys = db.prepare<[number, number], { client: string; profile_key: string }>(
      'SELECT client, profile_key FROM profiles WHERE expires_at <= ? LIMIT ?',
    );
  }

  async find(client: string, ref: VisitorIdRef, now: number): Promise<StoredProfile | null> {
    const row = this.profileById.get(client, ref.kind, ref.value);
    if (!row || row.expires_at <= now) return null;
    return toProfile(row);
  }

  async write(client: string, refs: readonly VisitorIdRef[], write: ProfileWrite): Promise<WrittenProfile | null> {
    // Concurrent writes share one BEGIN IMMEDIATE … COMMIT, each in its own savepoint (group-commit.ts).
    return this.writes.run(() => {
      const plan = this.plan(client, refs, write);
      // Thrown before anything is written; the savepoint is rolled back all the same.
      if (plan.kind === 'refused') throw refusalError(plan.refusal);
      const key = this.execute(client, plan);
      if (key === null || plan.kind !== 'write') return null;
      return writtenProfile(key, plan, plan.profile === null, this.listIds(client, key));
    });
  }

  /**
   * One bulk row, for a caller that already holds the write transaction and commits it: a chunk
   * applies many rows and its batch cursor as one unit, with the same rules as a single write. A
   * row that is refused or finds nothing comes back as its outcome; its purges still happen.
   */
  writeInOpenTransaction(client: string, ref: VisitorIdRef, write: ProfileWrite): WriteOutcome {
    const plan = this.plan(client, [ref], write);
    this.execute(client, plan);
    if (plan.kind === 'refused') return refusedOutcome(plan.refusal);
    return plan.kind === 'write' ? WRITTEN : NOT_FOUND;
  }

  private plan(client: string, refs: readonly VisitorIdRef[], write: ProfileWrite): ProfileWritePlan<StoredProfile> {
    const read = new Map<string, StoredProfile | undefined>();
    const found: FoundId<StoredProfile>[] = refs.map((ref) => {
      const key = this.keyOf.get(client, ref.kind, ref.value);
      if (key !== undefined && !read.has(key)) {
        const row = this.profileByKey.get(client, key);
        read.set(key, row && toProfile(row));
      }
      return { ref, key, profile: key === undefined ? undefined : read.get(key) };
    });
    return planProfileWrite(resolveIds(found, write.now), write);
  }

  /** Runs a plan's statements; returns the key written, or null when nothing but purges ran. */
  private execute(client: string, plan: ProfileWritePlan<StoredProfile>): string | null {
    for (const { key } of plan.purge) this.purge(client, key);
    if (plan.kind !== 'write') return null;
    const key = plan.profile?.key ?? mintProfileKey();
    this.upsertProfile.run(client, key, encodeAttributes(plan.attributes), plan.createdAt, plan.modifiedAt, plan.expiresAt);
    for (const ref of plan.link) this.linkId.run(client, ref.kind, ref.value, key);
    return key;
  }

  private purge(client: string, key: string): void {
    this.deleteIdsOfKey.run(client, key);
    this.deleteProfileByKey.run(client, key);
  }

  async idsOf(client: string, key: string): Promise<VisitorIdRef[]> {
    return this.listIds(client, key);
  }

  private listIds(client: string, key: string): VisitorIdRef[] {
    return this.idsOfKey.all(client, key).map((row) => ({ kind: row.id_kind, value: row.id_value }));
  }

  async delete(client: string, ref: VisitorIdRef): Promise<DeletedProfile | null> {
    return this.db
      .transaction(() => {
        const key = this.keyOf.get(client, ref.kind, ref.value);
        if (key === undefined) return null;
        const row = this.profileByKey.get(client, key);
        const ids = this.listIds(client, key);
        this.purge(client, key);
        return { key, ids, attributeCount: row ? decodeAttributes(row.attributes).size : 0 };
      })
      .immediate();
  }

  async sweepExpired(now: number, limit: number): Promise<number> {
    return this.db
      .transaction(() => {
        const expired = this.expiredKeys.all(now, limit);
        for (const { client, profile_key } of expired) this.purge(client, profile_key);
        return expired.length;
      })
      .immediate();
  }
}
