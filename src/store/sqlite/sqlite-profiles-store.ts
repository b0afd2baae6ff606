import { randomFillSync } from 'node:crypto';
import { decodeAttributes, encodeAttributes, lastModified } from '../../domain/attributes.js';
import type { IdKind, VisitorIdRef } from '../../domain/identity.js';
import { ConflictError } from '../../errors.js';
import type { DeletedProfile, ProfilesStore, ProfileWrite, StoredProfile, WrittenProfile } from '../../features/profiles/profiles-store.js';
import type { SqliteDatabase } from './database.js';
import { GroupCommit } from './group-commit.js';
import { type ProfileRow, toStoredProfile as toProfile } from '../shared-rows.js';

interface IdRow {
  id_kind: IdKind;
  id_value: string;
}

let lastKeyMillis = 0;
let keySequence = 0;
/** Random bytes drawn in bulk (one system call per 1,024 keys), 8 per key. */
const randomPool = Buffer.alloc(8 * 1024);
let randomOffset = randomPool.length;

/**
 * Internal profile keys are time-ordered (12 hex of epoch ms, 4 of a per-ms sequence, 16 random),
 * so new profiles land at the end of the primary-key B-tree: random keys scatter every insert
 * over the whole table and made bulk creation about 8× slower.
 */
function newProfileKey(): string {
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

/**
 * Profiles on the embedded store. Every write runs in a `BEGIN IMMEDIATE` transaction, which
 * takes SQLite's write lock before the profile is read: the read-modify-write is atomic even when
 * several processes share the database file.
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
    return this.writes.run(() => this.writeLocked(client, refs, write));
  }

  /**
   * `write()` for a caller that already holds the write transaction and commits it: a bulk chunk
   * applies many rows and its batch cursor as one unit, with the same profile semantics as a
   * single write. The profile's ids are not listed (`ids` is empty): bulk callers do not need them.
   */
  writeInOpenTransaction(client: string, refs: readonly VisitorIdRef[], write: ProfileWrite): WrittenProfile | null {
    return this.writeLocked(client, refs, write, false);
  }

  private writeLocked(client: string, refs: readonly VisitorIdRef[], write: ProfileWrite, listIds = true): WrittenProfile | null {
    let live: ProfileRow | undefined;
    const unlinked: VisitorIdRef[] = [];
    for (const ref of refs) {
      const key = this.keyOf.get(client, ref.kind, ref.value);
      const row = key === undefined ? undefined : this.liveProfile(client, key, write.now);
      if (!row) {
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
    const attributes = write.apply(existing?.attributes ?? new Map());
    const createdAt = existing?.createdAt ?? write.now;
    const modifiedAt = lastModified(attributes, createdAt);
    this.upsertProfile.run(client, key, encodeAttributes(attributes), createdAt, modifiedAt, write.expiresAt);
    for (const ref of unlinked) this.linkId.run(client, ref.kind, ref.value, key);
    return {
      profile: { key, attributes, createdAt, modifiedAt, expiresAt: write.expiresAt },
      created: !existing,
      ids: listIds ? this.listIds(client, key) : [],
    };
  }

  /** The profile row, or undefined when missing or expired (an expired one is purged now). */
  private liveProfile(client: string, key: string, now: number): ProfileRow | undefined {
    const row = this.profileByKey.get(client, key);
    if (row && row.expires_at <= now) {
      this.purge(client, key);
      return undefined;
    }
    return row;
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
