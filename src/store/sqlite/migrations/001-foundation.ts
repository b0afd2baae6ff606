import type { Migration } from './index.js';

/**
 * Clients, credentials, profiles and the ids that lead to them. Per-visitor tables are keyed by
 * (client, profile_key) or (client, id) so they can be sharded by client + key later.
 */
export const foundation: Migration = {
  version: 1,
  name: 'foundation',
  sql: `
    CREATE TABLE clients (
      code TEXT PRIMARY KEY,
      require_auth INTEGER NOT NULL,
      profile_lifetime_days INTEGER NOT NULL,
      ims_org_id TEXT UNIQUE,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );

    CREATE TABLE credentials (
      id TEXT PRIMARY KEY,
      scope TEXT NOT NULL CHECK (scope IN ('profile_api', 'admin')),
      client TEXT REFERENCES clients(code),
      secret_hash BLOB NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      revoked_at INTEGER
    );
    CREATE INDEX credentials_by_owner ON credentials (scope, client, created_at);

    CREATE TABLE profiles (
      client TEXT NOT NULL,
      profile_key TEXT NOT NULL,
      attributes TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      modified_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (client, profile_key)
    ) WITHOUT ROWID;
    CREATE INDEX profiles_by_expiry ON profiles (expires_at);

    CREATE TABLE profile_ids (
      client TEXT NOT NULL,
      id_kind TEXT NOT NULL,
      id_value TEXT NOT NULL,
      profile_key TEXT NOT NULL,
      PRIMARY KEY (client, id_kind, id_value)
    ) WITHOUT ROWID;
    CREATE INDEX profile_ids_by_profile ON profile_ids (client, profile_key);
  `,
};
