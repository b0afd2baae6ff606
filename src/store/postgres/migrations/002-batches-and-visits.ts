import type { PgMigration } from './index.js';

/**
 * Bulk batches and delivery visits on PostgreSQL.
 *
 * - `batches` is the SQLite table plus a lease (`lease_owner`, `lease_expires_at`, database clock
 *   in epoch ms): the process holding an unexpired lease is the only one applying the batch's
 *   chunks; a killed process's lease runs out and another process continues from the cursor.
 * - `batch_bodies` holds each body in fixed-size pieces, so that every node can read a batch
 *   whichever node accepted it. Pieces are committed before the submission reply.
 * - `profiles.session_state` is the delivery session bookkeeping, as on SQLite.
 *
 * Batch tables are keyed by batch_id (Citus: distribute by batch_id or keep them on the
 * coordinator); they hold no per-visitor data that a visitor-keyed statement needs.
 */
export const batchesAndVisits: PgMigration = {
  version: 2,
  name: 'batches-and-visits',
  sql: `
    ALTER TABLE profiles ADD COLUMN session_state TEXT;

    CREATE TABLE batches (
      seq BIGSERIAL NOT NULL,
      batch_id TEXT PRIMARY KEY,
      client TEXT NOT NULL,
      api_version INTEGER NOT NULL CHECK (api_version IN (1, 2)),
      key_column TEXT NOT NULL CHECK (key_column IN ('pcId', 'thirdPartyId')),
      attributes TEXT NOT NULL,
      body_file TEXT NOT NULL,
      body_bytes BIGINT NOT NULL,
      batch_size INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('incomplete', 'complete', 'stuck')),
      next_offset BIGINT NOT NULL,
      next_line BIGINT NOT NULL,
      consumed_count INTEGER NOT NULL DEFAULT 0,
      successful_updates INTEGER NOT NULL DEFAULT 0,
      profiles_not_found INTEGER NOT NULL DEFAULT 0,
      failed_updates INTEGER NOT NULL DEFAULT 0,
      stuck_reason TEXT,
      submitted_at BIGINT NOT NULL,
      finished_at BIGINT,
      lease_owner TEXT,
      lease_expires_at BIGINT
    );
    CREATE INDEX batches_by_client ON batches (client, batch_id);
    CREATE INDEX batches_unfinished ON batches (client, seq) WHERE status = 'incomplete';

    CREATE TABLE batch_failures (
      batch_id TEXT NOT NULL,
      line BIGINT NOT NULL,
      profile_key TEXT NOT NULL,
      reason TEXT NOT NULL,
      PRIMARY KEY (batch_id, line)
    );

    CREATE TABLE batch_bodies (
      batch_id TEXT NOT NULL,
      piece INTEGER NOT NULL,
      data BYTEA NOT NULL,
      stored_at BIGINT NOT NULL,
      PRIMARY KEY (batch_id, piece)
    );
  `,
};
