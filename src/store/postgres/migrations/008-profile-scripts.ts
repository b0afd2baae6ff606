import type { PgMigration } from './index.js';

/**
 * Profile scripts (docs/profile-scripts.md), as in the embedded store: one row per script, its
 * source and version, enabled by the admin API, and why and when the server disabled it;
 * `profile_script_revisions` counts every write of a client's scripts in the same transaction
 * (nodes not hearing notifications compare it). Small and read by every node, like `activities`.
 */
export const profileScripts: PgMigration = {
  version: 8,
  name: 'profile-scripts',
  sql: `
    CREATE TABLE profile_scripts (
      client TEXT NOT NULL REFERENCES clients(code),
      name TEXT NOT NULL,
      version INTEGER NOT NULL,
      source TEXT NOT NULL,
      description TEXT,
      enabled BOOLEAN NOT NULL,
      disabled_reason TEXT,
      disabled_message TEXT,
      disabled_at BIGINT,
      created_at BIGINT NOT NULL,
      modified_at BIGINT NOT NULL,
      PRIMARY KEY (client, name)
    );

    CREATE TABLE profile_script_revisions (
      client TEXT PRIMARY KEY REFERENCES clients(code),
      revision BIGINT NOT NULL
    );
  `,
};
