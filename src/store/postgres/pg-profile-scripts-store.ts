import type { ScriptFailureReason } from '../../features/profile-scripts/sandbox/client-sandbox.js';
import type { ProfileScriptRecord, ProfileScriptsStore, ScriptWrite } from '../../features/profile-scripts/scripts-store.js';
import { notifyAuthChange } from './auth-change-listener.js';
import { inTransaction, type PgClient, type PgPool } from './database.js';
import { ACTIVITIES_CHANGE } from './pg-activities-store.js';

interface ScriptRow {
  name: string;
  version: number;
  source: string;
  description: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  disabled_message: string | null;
  disabled_at: number | null;
  created_at: number;
  modified_at: number;
}

const COLUMNS = 'name, version, source, description, enabled, disabled_reason, disabled_message, disabled_at, created_at, modified_at';

function toRecord(row: ScriptRow): ProfileScriptRecord {
  return {
    name: row.name,
    source: row.source,
    description: row.description,
    enabled: row.enabled,
    disabledReason: row.disabled_reason as ScriptFailureReason | null,
    disabledMessage: row.disabled_message,
    disabledAt: row.disabled_at,
    version: row.version,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
  };
}

/**
 * Profile scripts on PostgreSQL. Every write bumps the client's revision first (its row lock
 * serializes the client's script writes) and announces itself on the channel activities use
 * (`activities:<client>`), so every listening node reloads the client's scripts within
 * milliseconds; nodes not listening compare the revision.
 */
export class PgProfileScriptsStore implements ProfileScriptsStore {
  constructor(private readonly pool: PgPool) {}

  async list(client: string): Promise<ProfileScriptRecord[]> {
    const { rows } = await this.pool.query<ScriptRow>(
      `SELECT ${COLUMNS} FROM profile_scripts WHERE client = $1 ORDER BY name COLLATE "C"`,
      [client],
    );
    return rows.map(toRecord);
  }

  async get(client: string, name: string): Promise<ProfileScriptRecord | null> {
    const { rows } = await this.pool.query<ScriptRow>(`SELECT ${COLUMNS} FROM profile_scripts WHERE client = $1 AND name = $2`, [
      client,
      name,
    ]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async put(client: string, name: string, write: ScriptWrite, now: number) {
    return inTransaction(this.pool, async (db) => {
      await this.bumpRevision(db, client);
      const { rows } = await db.query<ScriptRow & { created: boolean }>(
        `INSERT INTO profile_scripts (client, name, version, source, description, enabled, created_at, modified_at)
         VALUES ($1, $2, 1, $3, $4, $5, $6, $6)
         ON CONFLICT (client, name) DO UPDATE SET version = profile_scripts.version + 1, source = excluded.source,
           description = excluded.description, enabled = excluded.enabled, disabled_reason = NULL, disabled_message = NULL,
           disabled_at = NULL, modified_at = excluded.modified_at
         RETURNING ${COLUMNS}, (xmax = 0) AS created`,
        [client, name, write.source, write.description, write.enabled, now],
      );
      await notifyAuthChange(db, `${ACTIVITIES_CHANGE}${client}`);
      return { script: toRecord(rows[0]!), created: rows[0]!.created };
    });
  }

  async delete(client: string, name: string): Promise<boolean> {
    return inTransaction(this.pool, async (db) => {
      await this.bumpRevision(db, client);
      const { rowCount } = await db.query('DELETE FROM profile_scripts WHERE client = $1 AND name = $2', [client, name]);
      await notifyAuthChange(db, `${ACTIVITIES_CHANGE}${client}`);
      return (rowCount ?? 0) > 0;
    });
  }

  async disable(client: string, name: string, version: number, reason: ScriptFailureReason, message: string, now: number) {
    return inTransaction(this.pool, async (db) => {
      const { rowCount } = await db.query(
        `UPDATE profile_scripts SET disabled_reason = $4, disabled_message = $5, disabled_at = $6
          WHERE client = $1 AND name = $2 AND version = $3 AND disabled_reason IS NULL`,
        [client, name, version, reason, message, now],
      );
      if ((rowCount ?? 0) === 0) return false;
      await this.bumpRevision(db, client);
      await notifyAuthChange(db, `${ACTIVITIES_CHANGE}${client}`);
      return true;
    });
  }

  async snapshot(client: string) {
    // The revision first: rows read after it are at least that new (a write in between is seen as
    // a changed revision at the next check, never missed).
    const revision = await this.revision(client);
    return { revision, scripts: await this.list(client) };
  }

  async revision(client: string): Promise<number> {
    const { rows } = await this.pool.query<{ revision: number }>('SELECT revision FROM profile_script_revisions WHERE client = $1', [
      client,
    ]);
    return rows[0]?.revision ?? 0;
  }

  async disabledCounts() {
    const { rows } = await this.pool.query<{ reason: string; count: number }>(
      `SELECT disabled_reason AS reason, count(*)::int AS count FROM profile_scripts
        WHERE disabled_reason IS NOT NULL GROUP BY disabled_reason`,
    );
    return rows.map(({ reason, count }) => ({ reason: reason as ScriptFailureReason, count }));
  }

  private async bumpRevision(db: PgClient, client: string): Promise<void> {
    await db.query(
      `INSERT INTO profile_script_revisions (client, revision) VALUES ($1, 1)
       ON CONFLICT (client) DO UPDATE SET revision = profile_script_revisions.revision + 1`,
      [client],
    );
  }
}
