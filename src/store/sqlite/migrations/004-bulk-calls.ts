import type { Migration } from './index.js';

/**
 * The bulk API rate limit's window (PROFILE_EDGE_BULK_RATE_LIMIT_PER_MINUTE): one row per accepted
 * call, kept in the file so that every `serve --workers N` process counts against one budget per
 * client. Rows that left the window are deleted as calls come in: a few rows per client at most.
 */
export const bulkCalls: Migration = {
  version: 4,
  name: 'bulk-calls',
  sql: `
    CREATE TABLE bulk_calls (
      client TEXT NOT NULL,
      at INTEGER NOT NULL
    );
    CREATE INDEX bulk_calls_by_client ON bulk_calls (client, at);
  `,
};
