import type { ClientSettings, ClientSettingsPatch, ClientsStore } from '../../features/clients/clients-store.js';
import { DEFAULT_CLIENT_SETTINGS } from '../../features/clients/client-settings.js';
import type { SqliteDatabase } from './database.js';

interface ClientRow {
  code: string;
  require_auth: number;
  profile_lifetime_days: number;
  ims_org_id: string | null;
  response_tokens: string | null;
  created_at: number;
  updated_at: number;
}

function toClient(row: ClientRow): ClientSettings {
  return {
    code: row.code,
    requireAuth: row.require_auth === 1,
    profileLifetimeDays: row.profile_lifetime_days,
    imsOrgId: row.ims_org_id,
    responseTokens: row.response_tokens === null ? null : (JSON.parse(row.response_tokens) as string[]),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SqliteClientsStore implements ClientsStore {
  private readonly byCode;
  private readonly byOrg;
  private readonly all;
  private readonly insert;
  private readonly update;

  constructor(private readonly db: SqliteDatabase) {
    this.byCode = db.prepare<[string], ClientRow>('SELECT * FROM clients WHERE code = ?');
    this.byOrg = db.prepare<[string], ClientRow>('SELECT * FROM clients WHERE ims_org_id = ?');
    this.all = db.prepare<[], ClientRow>('SELECT * FROM clients ORDER BY code');
    this.insert = db.prepare(
      `INSERT INTO clients (code, require_auth, profile_lifetime_days, ims_org_id, response_tokens, created_at, updated_at)
       VALUES (@code, @require_auth, @profile_lifetime_days, @ims_org_id, @response_tokens, @created_at, @updated_at)`,
    );
    this.update = db.prepare(
      `UPDATE clients SET require_auth = @require_auth, profile_lifetime_days = @profile_lifetime_days,
         ims_org_id = @ims_org_id, response_tokens = @response_tokens, updated_at = @updated_at WHERE code = @code`,
    );
  }

  async get(code: string): Promise<ClientSettings | null> {
    const row = this.byCode.get(code);
    return row ? toClient(row) : null;
  }

  async list(): Promise<ClientSettings[]> {
    return this.all.all().map(toClient);
  }

  async findByImsOrgId(imsOrgId: string): Promise<ClientSettings | null> {
    const row = this.byOrg.get(imsOrgId);
    return row ? toClient(row) : null;
  }

  async upsert(code: string, patch: ClientSettingsPatch, now: number) {
    return this.db
      .transaction(() => {
        const existing = this.byCode.get(code);
        const base = existing ? toClient(existing) : { ...DEFAULT_CLIENT_SETTINGS, code, createdAt: now, updatedAt: now };
        const next: ClientSettings = {
          ...base,
          requireAuth: patch.requireAuth ?? base.requireAuth,
          profileLifetimeDays: patch.profileLifetimeDays ?? base.profileLifetimeDays,
          imsOrgId: patch.imsOrgId === undefined ? base.imsOrgId : patch.imsOrgId,
          responseTokens: patch.responseTokens === undefined ? base.responseTokens : patch.responseTokens,
          updatedAt: now,
        };
        const row = {
          code,
          require_auth: next.requireAuth ? 1 : 0,
          profile_lifetime_days: next.profileLifetimeDays,
          ims_org_id: next.imsOrgId,
          response_tokens: next.responseTokens === null ? null : JSON.stringify(next.responseTokens),
          created_at: next.createdAt,
          updated_at: next.updatedAt,
        };
        if (existing) this.update.run(row);
        else this.insert.run(row);
        return { client: next, created: !existing };
      })
      .immediate();
  }
}
