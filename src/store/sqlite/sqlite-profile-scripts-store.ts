import type { ScriptFailureReason } from '../../features/profile-scripts/sandbox/client-sandbox.js';
import type { ProfileScriptRecord, ProfileScriptsStore, ScriptWrite } from '../../features/profile-scripts/scripts-store.js';
import type { SqliteDatabase } from './database.js';

interface ScriptRow {
  name: string;
  version: number;
  source: string;
  description: string | null;
  enabled: number;
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
    enabled: row.enabled === 1,
    disabledReason: row.disabled_reason as ScriptFailureReason | null,
    disabledMessage: row.disabled_message,
    disabledAt: row.disabled_at,
    version: row.version,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
  };
}

/** Profile scripts in the embedded file; each write one IMMEDIATE transaction with its revision bump. */
export class SqliteProfileScriptsStore implements ProfileScriptsStore {
  private readonly byClient;
  private readonly one;
  private readonly insert;
  private readonly update;
  private readonly remove;
  private readonly markDisabled;
  private readonly revisionOf;
  private readonly bump;
  private readonly disabled;

  constructor(private readonly db: SqliteDatabase) {
    this.byClient = db.prepare<[string], ScriptRow>(`SELECT ${COLUMNS} FROM profile_scripts WHERE client = ? ORDER BY name`);
    this.one = db.prepare<[string, string], ScriptRow>(`SELECT ${COLUMNS} FROM profile_scripts WHERE client = ? AND name = ?`);
    this.insert = db.prepare(
      `INSERT INTO profile_scripts (client, name, version, source, description, enabled, created_at, modified_at)
       VALUES (@client, @name, 1, @source, @description, @enabled, @now, @now)`,
    );
    this.update = db.prepare(
      `UPDATE profile_scripts SET version = version + 1, source = @source, description = @description, enabled = @enabled,
              disabled_reason = NULL, disabled_message = NULL, disabled_at = NULL, modified_at = @now
        WHERE client = @client AND name = @name`,
    );
    this.remove = db.prepare('DELETE FROM profile_scripts WHERE client = ? AND name = ?');
    this.markDisabled = db.prepare(
      `UPDATE profile_scripts SET disabled_reason = ?, disabled_message = ?, disabled_at = ?
        WHERE client = ? AND name = ? AND version = ? AND disabled_reason IS NULL`,
    );
    this.revisionOf = db.prepare<[string], { revision: number }>('SELECT revision FROM profile_script_revisions WHERE client = ?');
    this.bump = db.prepare(
      `INSERT INTO profile_script_revisions (client, revision) VALUES (?, 1)
       ON CONFLICT (client) DO UPDATE SET revision = revision + 1`,
    );
    this.disabled = db.prepare<[], { reason: string; count: number }>(
      'SELECT disabled_reason AS reason, count(*) AS count FROM profile_scripts WHERE disabled_reason IS NOT NULL GROUP BY disabled_reason',
    );
  }

  async list(client: string): Promise<ProfileScriptRecord[]> {
    return this.byClient.all(client).map(toRecord);
  }

  async get(client: string, name: string): Promise<ProfileScriptRecord | null> {
    const row = this.one.get(client, name);
    return row ? toRecord(row) : null;
  }

  async put(client: string, name: string, write: ScriptWrite, now: number) {
    return this.db
      .transaction(() => {
        const existing = this.one.get(client, name);
        const row = { client, name, source: write.source, description: write.description, enabled: write.enabled ? 1 : 0, now };
        if (existing) this.update.run(row);
        else this.insert.run(row);
        this.bump.run(client);
        return { script: toRecord(this.one.get(client, name)!), created: !existing };
      })
      .immediate();
  }

  async delete(client: string, name: string): Promise<boolean> {
    return this.db
      .transaction(() => {
        if (this.remove.run(client, name).changes === 0) return false;
        this.bump.run(client);
        return true;
      })
      .immediate();
  }

  async disable(client: string, name: string, version: number, reason: ScriptFailureReason, message: string, now: number) {
    return this.db
      .transaction(() => {
        if (this.markDisabled.run(reason, message, now, client, name, version).changes === 0) return false;
        this.bump.run(client);
        return true;
      })
      .immediate();
  }

  async snapshot(client: string) {
    return this.db.transaction(() => ({
      revision: this.revisionOf.get(client)?.revision ?? 0,
      scripts: this.byClient.all(client).map(toRecord),
    }))();
  }

  async revision(client: string): Promise<number> {
    return this.revisionOf.get(client)?.revision ?? 0;
  }

  async disabledCounts() {
    return this.disabled.all().map(({ reason, count }) => ({ reason: reason as ScriptFailureReason, count }));
  }
}
