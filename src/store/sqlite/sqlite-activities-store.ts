import type {
  ActivitiesStore,
  ActivityRecord,
  ExpectedVersion,
  ImportedArtifactRecord,
  VersionMismatch,
} from '../../features/activities/activities-store.js';
import type { Activity } from '../../features/decisioning/activity.js';
import type { SqliteDatabase } from './database.js';

interface ActivityRow {
  id: string;
  version: number;
  body: string;
  created_at: number;
  modified_at: number;
}

function toRecord(row: ActivityRow): ActivityRecord {
  return {
    ...(JSON.parse(row.body) as Activity),
    id: row.id,
    version: row.version,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
  };
}

interface ArtifactRow {
  version: number;
  body: string;
  imported_at: number;
}

const toArtifact = (row: ArtifactRow | undefined): ImportedArtifactRecord | null =>
  row ? { body: row.body, version: row.version, importedAt: row.imported_at } : null;

function mismatchOf(expected: ExpectedVersion, current: number | null): VersionMismatch | null {
  if (expected === undefined) return null;
  if (expected === '*' ? current !== null : current === expected) return null;
  return { mismatch: true, current };
}

/**
 * Activities in the embedded file. Every write is one IMMEDIATE transaction: it holds the file's
 * write lock from its first read, so the version read and the version written cannot be split by
 * another worker's write.
 */
export class SqliteActivitiesStore implements ActivitiesStore {
  private readonly byClient;
  private readonly one;
  private readonly insert;
  private readonly update;
  private readonly remove;
  private readonly revisionOf;
  private readonly bump;
  private readonly secretOf;
  private readonly artifactOf;
  private readonly upsertArtifact;
  private readonly removeArtifact;
  private readonly addSecret;

  constructor(private readonly db: SqliteDatabase) {
    this.byClient = db.prepare<[string], ActivityRow>(
      'SELECT id, version, body, created_at, modified_at FROM activities WHERE client = ? ORDER BY id',
    );
    this.one = db.prepare<[string, string], ActivityRow>(
      'SELECT id, version, body, created_at, modified_at FROM activities WHERE client = ? AND id = ?',
    );
    this.insert = db.prepare('INSERT INTO activities (client, id, version, body, created_at, modified_at) VALUES (?, ?, 1, ?, ?, ?)');
    this.update = db.prepare('UPDATE activities SET version = version + 1, body = ?, modified_at = ? WHERE client = ? AND id = ?');
    this.remove = db.prepare('DELETE FROM activities WHERE client = ? AND id = ?');
    this.revisionOf = db.prepare<[string], { revision: number }>('SELECT revision FROM activity_revisions WHERE client = ?');
    this.bump = db.prepare(
      `INSERT INTO activity_revisions (client, revision) VALUES (?, 1)
       ON CONFLICT (client) DO UPDATE SET revision = revision + 1`,
    );
    this.artifactOf = db.prepare<[string], ArtifactRow>('SELECT version, body, imported_at FROM imported_artifacts WHERE client = ?');
    this.upsertArtifact = db.prepare(
      `INSERT INTO imported_artifacts (client, version, body, imported_at) VALUES (?, 1, ?, ?)
       ON CONFLICT (client) DO UPDATE SET version = version + 1, body = excluded.body, imported_at = excluded.imported_at`,
    );
    this.removeArtifact = db.prepare('DELETE FROM imported_artifacts WHERE client = ?');
    this.secretOf = db.prepare<[string], { value: string }>('SELECT value FROM server_secrets WHERE name = ?');
    this.addSecret = db.prepare('INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING');
  }

  async list(client: string): Promise<ActivityRecord[]> {
    return this.byClient.all(client).map(toRecord);
  }

  async get(client: string, id: string): Promise<ActivityRecord | null> {
    const row = this.one.get(client, id);
    return row ? toRecord(row) : null;
  }

  async put(client: string, id: string, activity: Activity, now: number, expected?: ExpectedVersion) {
    return this.db
      .transaction((): { activity: ActivityRecord; created: boolean } | VersionMismatch => {
        const existing = this.one.get(client, id);
        const mismatch = mismatchOf(expected, existing?.version ?? null);
        if (mismatch) return mismatch;
        const body = JSON.stringify(activity);
        if (existing) this.update.run(body, now, client, id);
        else this.insert.run(client, id, body, now, now);
        this.bump.run(client);
        return { activity: toRecord(this.one.get(client, id)!), created: !existing };
      })
      .immediate();
  }

  async delete(client: string, id: string, expected?: ExpectedVersion): Promise<boolean | VersionMismatch> {
    return this.db
      .transaction((): boolean | VersionMismatch => {
        const existing = this.one.get(client, id);
        const mismatch = mismatchOf(expected, existing?.version ?? null);
        if (mismatch) return mismatch;
        if (!existing) return false;
        this.remove.run(client, id);
        this.bump.run(client);
        return true;
      })
      .immediate();
  }

  async snapshot(client: string) {
    // One read transaction: the revision and the rows come from the same state of the file.
    return this.db.transaction(() => ({
      revision: this.revisionOf.get(client)?.revision ?? 0,
      activities: this.byClient.all(client).map(toRecord),
      imported: toArtifact(this.artifactOf.get(client)),
    }))();
  }

  async importedArtifact(client: string): Promise<ImportedArtifactRecord | null> {
    return toArtifact(this.artifactOf.get(client));
  }

  async putImportedArtifact(client: string, body: string, now: number): Promise<ImportedArtifactRecord> {
    return this.db
      .transaction(() => {
        this.upsertArtifact.run(client, body, now);
        this.bump.run(client);
        return toArtifact(this.artifactOf.get(client))!;
      })
      .immediate();
  }

  async deleteImportedArtifact(client: string): Promise<boolean> {
    return this.db
      .transaction(() => {
        const removed = this.removeArtifact.run(client).changes > 0;
        if (removed) this.bump.run(client);
        return removed;
      })
      .immediate();
  }

  async revision(client: string): Promise<number> {
    return this.revisionOf.get(client)?.revision ?? 0;
  }

  async serverSecret(name: string, candidate: string, now: number): Promise<string> {
    this.addSecret.run(name, candidate, now);
    return this.secretOf.get(name)!.value;
  }
}
