import type { PgMigration } from './index.js';

/**
 * The bulk API rate limit's window (PROFILE_EDGE_BULK_RATE_LIMIT_PER_MINUTE): one row per accepted
 * call, shared by every node, so that a client's budget is the same whichever node it calls.
 * Rows that left the window are deleted as calls come in: a few rows per client at most.
 *
 * Not per-visitor data, and tiny: no distribution key. On Citus it stays a local table on the
 * coordinator (with queries from any node: `citus_add_local_table_to_metadata`).
 */
export const bulkCalls: PgMigration = {
  version: 4,
  name: 'bulk-calls',
  sql: `
    CREATE TABLE bulk_calls (
      client TEXT NOT NULL,
      at BIGINT NOT NULL
    );
    CREATE INDEX bulk_calls_by_client ON bulk_calls (client, at);
  `,
};
