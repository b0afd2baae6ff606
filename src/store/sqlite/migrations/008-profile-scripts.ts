import type { Migration } from './index.js';

/**
 * Profile scripts (docs/profile-scripts.md): one row per script of a client, its source and
 * version, whether the admin API enabled it and, when the server disabled it, why and when.
 * `profile_script_revisions` counts every write of a client's scripts (disabling included) in the
 * same transaction: workers compare it to see another worker's change. What scripts write lives in
 * the profiles (`user.*` attributes), not here.
 */
export const profileScripts: Migration = {
  version: 8,
  name: 'profile-scripts',
  sql: `
    CREATE TABLE profile_scripts (
      client TEXT NOT NULL REFERENCES clients(code),
      name TEXT NOT NULL,
      version INTEGER NOT NULL,
      source TEXT NOT NULL,
      description TEXT,
      enabled INTEGER NOT NULL,
      disabled_reason TEXT,
      disabled_message TEXT,
      disabled_at INTEGER,
      created_at INTEGER NOT NULL,
      modified_at INTEGER NOT NULL,
      PRIMARY KEY (client, name)
    ) WITHOUT ROWID;

    CREATE TABLE profile_script_revisions (
      client TEXT PRIMARY KEY REFERENCES clients(code),
      revision INTEGER NOT NULL
    ) WITHOUT ROWID;
  `,
};
