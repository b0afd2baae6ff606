import type { BatchRecord, BatchStatus } from '../features/batches/batches-store.js';
import type { CredentialRecord, CredentialScope } from '../features/tokens/credentials-store.js';

/**
 * Row shapes and row-to-record mappers that the SQLite and PostgreSQL stores share: both stores
 * use the same column names and encodings for these tables. Profile rows: profile-rows.ts.
 */
export interface CredentialRow {
  id: string;
  scope: CredentialScope;
  client: string | null;
  secret_hash: Buffer;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export function toCredentialRecord(row: CredentialRow): CredentialRecord {
  return {
    id: row.id,
    scope: row.scope,
    client: row.client,
    secretHash: row.secret_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

export interface BatchRow {
  batch_id: string;
  client: string;
  api_version: 1 | 2;
  key_column: 'pcId' | 'thirdPartyId';
  attributes: string;
  body_file: string;
  body_bytes: number;
  batch_size: number;
  status: BatchStatus;
  next_offset: number;
  next_line: number;
  consumed_count: number;
  successful_updates: number;
  profiles_not_found: number;
  failed_updates: number;
  stuck_reason: string | null;
  submitted_at: number;
  finished_at: number | null;
}

export const BATCH_COLUMNS = `batch_id, client, api_version, key_column, attributes, body_file, body_bytes, batch_size, status,
  next_offset, next_line, consumed_count, successful_updates, profiles_not_found, failed_updates,
  stuck_reason, submitted_at, finished_at`;

export function toBatchRecord(row: BatchRow): BatchRecord {
  return {
    batchId: row.batch_id,
    client: row.client,
    apiVersion: row.api_version,
    keyColumn: row.key_column,
    attributes: JSON.parse(row.attributes) as string[],
    bodyFile: row.body_file,
    bodyBytes: row.body_bytes,
    batchSize: row.batch_size,
    status: row.status,
    nextOffset: row.next_offset,
    nextLine: row.next_line,
    consumedCount: row.consumed_count,
    successfulUpdates: row.successful_updates,
    profilesNotFound: row.profiles_not_found,
    failedUpdates: row.failed_updates,
    stuckReason: row.stuck_reason,
    submittedAt: row.submitted_at,
    finishedAt: row.finished_at,
  };
}
