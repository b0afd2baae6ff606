import type {
  ActivitiesStore,
  ActivityRecord,
  ExpectedVersion,
  ImportedArtifactRecord,
  VersionMismatch,
} from '../../features/activities/activities-store.js';
import type { Activity } from '../../features/decisioning/activity.js';
import { notifyAuthChange } from './auth-change-listener.js';
import { inTransaction, type PgClient, type PgPool } from './database.js';

interface ActivityRow {
  id: string;
  version: number;
  body: string;
  created_at: string | number;
  modified_at: string | number;
}

const COLUMNS = 'id, version, body, created_at, modified_at';

function toRecord(row: ActivityRow): ActivityRecord {
  return {
    ...(JSON.parse(row.body) as Activity),
    id: row.id,
    version: row.version,
    createdAt: Number(row.created_at),
    modifiedAt: Number(row.modified_at),
  };
}

interface ArtifactRow {
  version: number;
  body: string;
  imported_at: string | number;
}

const toArtifact = (row: ArtifactRow | undefined): ImportedArtifactRecord | null =>
  row ? { body: row.body, version: row.version, importedAt: Number(row.imported_at) } : null;

function mismatchOf(expected: ExpectedVersion, current: number | null): VersionMismatch | null {
  if (expected === undefined) return null;
  if (expected === '*' ? current !== null : current === expected) return null;
  return { mismatch: true, current };
}

/** The payload prefix of an activity change on the change channel (AuthChangeListener). */
export const ACTIVITIES_CHANGE = 'activities:';

/**
 * Activities on PostgreSQL. A write first bumps the client's row in `activity_revisions`: that row
 * lock queues every write of the client's activities, so each reads the version the previous one
 * committed (READ COMMITTED takes a new snapshot per statement) and two concurrent replacements
 * store consecutive versions. Each write announces itself on the change channel at commit.
 */
export class PgActivitiesStore implements ActivitiesStore {
  constructor(private readonly pool: PgPool) {}

  async list(client: string): Promise<ActivityRecord[]> {
    const { rows } = await this.pool.query<ActivityRow>(`SELECT ${COLUMNS} FROM activities WHERE client = $1 ORDER BY id COLLATE "C"`, [
      client,
    ]);
    return rows.map(toRecord);
  }

  async get(client: string, id: string): Promise<ActivityRecord | null> {
    const { rows } = await this.pool.query<ActivityRow>(`SELECT ${COLUMNS} FROM activities WHERE client = $1 AND id = $2`, [client, id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async put(client: string, id: string, activity: Activity, now: number, expected?: ExpectedVersion) {
    return inTransaction(this.pool, async (db): Promise<{ activity: ActivityRecord; created: boolean } | VersionMismatch> => {
      await this.bumpRevision(db, client);
      const existing = await this.versionOf(db, client, id);
      const mismatch = mismatchOf(expected, existing);
      if (mismatch) return mismatch;
      const body = JSON.stringify(activity);
      const { rows } =
        existing === null
          ? await db.query<ActivityRow>(
              `INSERT INTO activities (client, id, version, body, created_at, modified_at) VALUES ($1, $2, 1, $3, $4, $4) RETURNING ${COLUMNS}`,
              [client, id, body, now],
            )
          : await db.query<ActivityRow>(
              `UPDATE activities SET version = version + 1, body = $3, modified_at = $4 WHERE client = $1 AND id = $2 RETURNING ${COLUMNS}`,
              [client, id, body, now],
            );
      await notifyAuthChange(db, `${ACTIVITIES_CHANGE}${client}`);
      return { activity: toRecord(rows[0]!), created: existing === null };
    });
  }

  async delete(client: string, id: string, expected?: ExpectedVersion): Promise<boolean | VersionMismatch> {
    return inTransaction(this.pool, async (db) => {
      await this.bumpRevision(db, client);
      const existing = await this.versionOf(db, client, id);
      const mismatch = mismatchOf(expected, existing);
      if (mismatch) return mismatch;
      if (existing === null) return false;
      await db.query('DELETE FROM activities WHERE client = $1 AND id = $2', [client, id]);
      await notifyAuthChange(db, `${ACTIVITIES_CHANGE}${client}`);
      return true;
    });
  }

  async snapshot(client: string) {
    // The revision first: rows read after it are at least that new, so a write in between is seen
    // as a revision change at the next check (an extra compilation), never missed.
    const revision = await this.revision(client);
    return { revision, activities: await this.list(client), imported: await this.importedArtifact(client) };
  }

  async importedArtifact(client: string): Promise<ImportedArtifactRecord | null> {
    const { rows } = await this.pool.query<ArtifactRow>('SELECT version, body, imported_at FROM imported_artifacts WHERE client = $1', [
      client,
    ]);
    return toArtifact(rows[0]);
  }

  async putImportedArtifact(client: string, body: string, now: number): Promise<ImportedArtifactRecord> {
    return inTransaction(this.pool, async (db) => {
      await this.bumpRevision(db, client);
      const { rows } = await db.query<ArtifactRow>(
        `INSERT INTO imported_artifacts (client, version, body, imported_at) VALUES ($1, 1, $2, $3)
         ON CONFLICT (client) DO UPDATE SET version = imported_artifacts.version + 1, body = excluded.body, imported_at = excluded.imported_at
         RETURNING version, body, imported_at`,
        [client, body, now],
      );
      await notifyAuthChange(db, `${ACTIVITIES_CHANGE}${client}`);
      return toArtifact(rows[0])!;
    });
  }

  async deleteImportedArtifact(client: string): Promise<boolean> {
    return inTransaction(this.pool, async (db) => {
      await this.bumpRevision(db, client);
      const { rowCount } = await db.query('DELETE FROM imported_artifacts WHERE client = $1', [client]);
      await notifyAuthChange(db, `${ACTIVITIES_CHANGE}${client}`);
      return (rowCount ?? 0) > 0;
    });
  }

  async revision(client: string): Promise<number> {
    const { rows } = await this.pool.query<{ revision: string }>('SELECT revision FROM activity_revisions WHERE client = $1', [client]);
    return rows[0] ? Number(rows[0].revision) : 0;
  }

  async serverSecret(name: string, candidate: string, now: number): Promise<string> {
    await this.pool.query('INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [
      name,
      candidate,
      now,
    ]);
    const { rows } = await this.pool.query<{ value: string }>('SELECT value FROM server_secrets WHERE name = $1', [name]);
    return rows[0]!.value;
  }

  /** Also the lock that queues the client's activity writes (a refused write bumps it too: harmless). */
  private async bumpRevision(db: PgClient, client: string): Promise<void> {
    await db.query(
      `INSERT INTO activity_revisions (client, revision) VALUES ($1, 1)
       ON CONFLICT (client) DO UPDATE SET revision = activity_revisions.revision + 1`,
      [client],
    );
  }

  private async versionOf(db: PgClient, client: string, id: string): Promise<number | null> {
    const { rows } = await db.query<{ version: number }>('SELECT version FROM activities WHERE client = $1 AND id = $2', [client, id]);
    return rows[0]?.version ?? null;
  }
}
