import type { PgMigration } from './index.js';

/**
 * Activities (docs/decisioning.md#managing-activities), as in the embedded store: one row per
 * activity, its whole validated JSON in `body`, its version increased by every replacement;
 * `activity_revisions` counts every write of a client's activities, in the same transaction
 * (nodes not hearing notifications compare it). Each client's response-token list (null: the
 * default), and the server's own secrets — the key that signs event tokens, generated once per
 * database so that every node signs and verifies alike.
 *
 * Small, rarely written, read by every node: on Citus, reference tables like `clients`.
 */
export const activities: PgMigration = {
  version: 5,
  name: 'activities',
  sql: `
    CREATE TABLE activities (
      client TEXT NOT NULL REFERENCES clients(code),
      id TEXT NOT NULL,
      version INTEGER NOT NULL,
      body TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      modified_at BIGINT NOT NULL,
      PRIMARY KEY (client, id)
    );

    CREATE TABLE activity_revisions (
      client TEXT PRIMARY KEY REFERENCES clients(code),
      revision BIGINT NOT NULL
    );

    ALTER TABLE clients ADD COLUMN response_tokens TEXT;

    CREATE TABLE server_secrets (
      name TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      created_at BIGINT NOT NULL
    );
  `,
};
