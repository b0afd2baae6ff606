import type { Migration } from './index.js';

/**
 * Activities (docs/decisioning.md#managing-activities): one row per activity of a client, its
 * whole validated JSON in `body`, its version increased by every replacement. `activity_revisions`
 * counts every write of a client's activities, in the same transaction: `serve --workers N`
 * processes compare it to see another worker's change (one indexed read, at most twice a second).
 * Each client's response-token list (null: the default), and the server's own secrets — the key
 * that signs event tokens, generated once per database so that every worker signs alike.
 */
export const activities: Migration = {
  version: 5,
  name: 'activities',
  sql: `
    CREATE TABLE activities (
      client TEXT NOT NULL REFERENCES clients(code),
      id TEXT NOT NULL,
      version INTEGER NOT NULL,
      body TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      modified_at INTEGER NOT NULL,
      PRIMARY KEY (client, id)
    ) WITHOUT ROWID;

    CREATE TABLE activity_revisions (
      client TEXT PRIMARY KEY REFERENCES clients(code),
      revision INTEGER NOT NULL
    ) WITHOUT ROWID;

    ALTER TABLE clients ADD COLUMN response_tokens TEXT;

    CREATE TABLE server_secrets (
      name TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) WITHOUT ROWID;
  `,
};
