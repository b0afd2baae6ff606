import type { ClientSettings, ClientSettingsPatch, ClientsStore } from '../../features/clients/clients-store.js';
import { DEFAULT_CLIENT_SETTINGS } from '../../features/clients/client-settings.js';
import { notifyAuthChange } from './auth-change-listener.js';
import { inTransaction, type PgPool } from './database.js';

interface ClientRow {
  code: string;
  require_auth: boolean;
  profile_lifetime_days: number;
  ims_org_id: string | null;
  response_tokens: string | null;
  created_at: number;
  updated_at: number;
}

function toClient(row: ClientRow): ClientSettings {
  return {
    code: row.code,
    requireAuth: row.require_auth,
    profileLifetimeDays: row.profile_lifetime_days,
    imsOrgId: row.ims_org_id,
    responseTokens: row.response_tokens === null ? null : (JSON.parse(row.response_tokens) as string[]),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class PgClientsStore implements ClientsStore {
  constructor(private readonly pool: PgPool) {}

  async get(code: string): Promise<ClientSettings | null> {
    const { rows } = await this.pool.query<ClientRow>('SELECT * FROM clients WHERE code = $1', [code]);
    return rows[0] ? toClient(rows[0]) : null;
  }

  async list(): Promise<ClientSettings[]> {
    return (await this.pool.query<ClientRow>('SELECT * FROM clients ORDER BY code')).rows.map(toClient);
  }

  async findByImsOrgId(imsOrgId: string): Promise<ClientSettings | null> {
    const { rows } = await this.pool.query<ClientRow>('SELECT * FROM clients WHERE ims_org_id = $1', [imsOrgId]);
    return rows[0] ? toClient(rows[0]) : null;
  }

  async upsert(code: string, patch: ClientSettingsPatch, now: number) {
    return inTransaction(this.pool, async (db) => {
      // Insert the defaults if missing (a no-op otherwise), then lock the row and apply the patch.
      const inserted = await db.query(
        `INSERT INTO clients (code, require_auth, profile_lifetime_days, ims_org_id, created_at, updated_at)
         VALUES ($1, $2, $3, NULL, $4, $4) ON CONFLICT (code) DO NOTHING`,
        [code, DEFAULT_CLIENT_SETTINGS.requireAuth, DEFAULT_CLIENT_SETTINGS.profileLifetimeDays, now],
      );
      const { rows } = await db.query<ClientRow>('SELECT * FROM clients WHERE code = $1 FOR UPDATE', [code]);
      const base = toClient(rows[0]!);
      const next: ClientSettings = {
        ...base,
        requireAuth: patch.requireAuth ?? base.requireAuth,
        profileLifetimeDays: patch.profileLifetimeDays ?? base.profileLifetimeDays,
        imsOrgId: patch.imsOrgId === undefined ? base.imsOrgId : patch.imsOrgId,
        responseTokens: patch.responseTokens === undefined ? base.responseTokens : patch.responseTokens,
        updatedAt: now,
      };
      await db.query(
        'UPDATE clients SET require_auth = $2, profile_lifetime_days = $3, ims_org_id = $4, response_tokens = $5, updated_at = $6 WHERE code = $1',
        [
          code,
          next.requireAuth,
          next.profileLifetimeDays,
          next.imsOrgId,
          next.responseTokens === null ? null : JSON.stringify(next.responseTokens),
          now,
        ],
      );
      await notifyAuthChange(db, `clients:${code}`);
      return { client: next, created: inserted.rowCount === 1 };
    });
  }
}
