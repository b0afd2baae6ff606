import type { PgMigration } from './index.js';

/**
 * Same tables as the embedded store. Per-visitor tables carry their distribution key in the
 * primary key — (client, profile_key) for profiles, (client, id_kind, id_value) for ids — so they
 * can be sharded by client + key (Citus).
 */
export const foundation: PgMigration = {
  version: 1,
  name: 'foundation',
  sql: `
    CREATE TABLE clients (
      code TEXT PRIMARY KEY,
      require_auth BOOLEAN NOT NULL,
      profile_lifetime_days INTEGER NOT NULL,
      ims_org_id TEXT UNIQUE,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL
    );

    CREATE TABLE credentials (
      id TEXT PRIMARY KEY,
      scope TEXT NOT NULL CHECK (scope IN ('profile_api', 'admin')),
      client TEXT REFERENCES clients(code),
      secret_hash BYTEA NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      revoked_at BIGINT
    );
    CREATE INDEX credentials_by_owner ON credentials (scope, client, created_at);

    CREATE TABLE profiles (
      client TEXT NOT NULL,
      profile_key TEXT NOT NULL,
      attributes TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      modified_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      PRIMARY KEY (client, profile_key)
    );
    CREATE INDEX profiles_by_expiry ON profiles (expires_at);

    CREATE TABLE profile_ids (
      client TEXT NOT NULL,
      id_kind TEXT NOT NULL,
      id_value TEXT NOT NULL,
      profile_key TEXT NOT NULL,
      PRIMARY KEY (client, id_kind, id_value)
    );
    CREATE INDEX profile_ids_by_profile ON profile_ids (client, profile_key);
  `,
};
