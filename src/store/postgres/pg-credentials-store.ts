import type { CredentialRecord, CredentialScope, CredentialsStore } from '../../features/tokens/credentials-store.js';
import { notifyAuthChange } from './auth-change-listener.js';
import { inTransaction, type PgPool } from './database.js';
import { type CredentialRow, toCredentialRecord as toRecord } from '../shared-rows.js';

export class PgCredentialsStore implements CredentialsStore {
  constructor(private readonly pool: PgPool) {}

  async byId(id: string): Promise<CredentialRecord | null> {
    const { rows } = await this.pool.query<CredentialRow>('SELECT * FROM credentials WHERE id = $1', [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async current(scope: CredentialScope, client: string | null): Promise<CredentialRecord | null> {
    const { rows } = await this.pool.query<CredentialRow>(
      `SELECT * FROM credentials WHERE scope = $1 AND client IS NOT DISTINCT FROM $2 AND revoked_at IS NULL
       ORDER BY created_at DESC LIMIT 1`,
      [scope, client],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async replace(record: CredentialRecord, now: number): Promise<void> {
    await inTransaction(this.pool, async (db) => {
      // Serialize issuers of the same owner so two concurrent POSTs leave exactly one live token.
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`credentials:${record.scope}:${record.client ?? ''}`]);
      await db.query('UPDATE credentials SET revoked_at = $1 WHERE scope = $2 AND client IS NOT DISTINCT FROM $3 AND revoked_at IS NULL', [
        now,
        record.scope,
        record.client,
      ]);
      await db.query(
        `INSERT INTO credentials (id, scope, client, secret_hash, created_at, expires_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL)`,
        [record.id, record.scope, record.client, record.secretHash, record.createdAt, record.expiresAt],
      );
      // Other nodes drop their cached copy of the token this revoked when the transaction commits.
      await notifyAuthChange(db, `credentials:${record.scope}:${record.client ?? ''}`);
    });
  }
}
