import type { CredentialRecord, CredentialScope, CredentialsStore } from '../../features/tokens/credentials-store.js';
import type { SqliteDatabase } from './database.js';
import { type CredentialRow, toCredentialRecord as toRecord } from '../shared-rows.js';

export class SqliteCredentialsStore implements CredentialsStore {
  private readonly byIdQuery;
  private readonly currentQuery;
  private readonly revokeAll;
  private readonly insert;

  constructor(private readonly db: SqliteDatabase) {
    this.byIdQuery = db.prepare<[string], CredentialRow>('SELECT * FROM credentials WHERE id = ?');
    this.currentQuery = db.prepare<[CredentialScope, string | null], CredentialRow>(
      `SELECT * FROM credentials WHERE scope = ? AND client IS ? AND revoked_at IS NULL
       ORDER BY created_at DESC LIMIT 1`,
    );
    this.revokeAll = db.prepare('UPDATE credentials SET revoked_at = ? WHERE scope = ? AND client IS ? AND revoked_at IS NULL');
    this.insert = db.prepare(
      `INSERT INTO credentials (id, scope, client, secret_hash, created_at, expires_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, NULL)`,
    );
  }

  async byId(id: string): Promise<CredentialRecord | null> {
    const row = this.byIdQuery.get(id);
    return row ? toRecord(row) : null;
  }

  async current(scope: CredentialScope, client: string | null): Promise<CredentialRecord | null> {
    const row = this.currentQuery.get(scope, client);
    return row ? toRecord(row) : null;
  }

  async replace(record: CredentialRecord, now: number): Promise<void> {
    this.db
      .transaction(() => {
        this.revokeAll.run(now, record.scope, record.client);
        this.insert.run(record.id, record.scope, record.client, record.secretHash, record.createdAt, record.expiresAt);
      })
      .immediate();
  }
}
