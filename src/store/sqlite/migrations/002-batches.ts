import type { Migration } from './index.js';

/**
 * Bulk profile batches (docs/wire-contract.md#6-bulk-profile-update). The body itself lives in a
 * file in the data directory; this row holds what the processor needs to resume after a crash:
 * the byte offset and line number of the next unprocessed line, and the counters — all advanced
 * in the same transaction as the profile writes of each chunk. `seq` orders the batches of one
 * client by submission.
 */
export const batches: Migration = {
  version: 2,
  name: 'batches',
  sql: `
    CREATE TABLE batches (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      batch_id TEXT NOT NULL UNIQUE,
      client TEXT NOT NULL,
      api_version INTEGER NOT NULL CHECK (api_version IN (1, 2)),
      key_column TEXT NOT NULL CHECK (key_column IN ('pcId', 'thirdPartyId')),
      attributes TEXT NOT NULL,
      body_file TEXT NOT NULL,
      body_bytes INTEGER NOT NULL,
      batch_size INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('incomplete', 'complete', 'stuck')),
      next_offset INTEGER NOT NULL,
      next_line INTEGER NOT NULL,
      consumed_count INTEGER NOT NULL DEFAULT 0,
      successful_updates INTEGER NOT NULL DEFAULT 0,
      profiles_not_found INTEGER NOT NULL DEFAULT 0,
      failed_updates INTEGER NOT NULL DEFAULT 0,
      stuck_reason TEXT,
      submitted_at INTEGER NOT NULL,
      finished_at INTEGER
    );
    CREATE INDEX batches_by_client ON batches (client, batch_id);
    CREATE INDEX batches_unfinished ON batches (status, seq);

    CREATE TABLE batch_failures (
      batch_id TEXT NOT NULL,
      line INTEGER NOT NULL,
      profile_key TEXT NOT NULL,
      reason TEXT NOT NULL,
      PRIMARY KEY (batch_id, line)
    ) WITHOUT ROWID;
  `,
};
