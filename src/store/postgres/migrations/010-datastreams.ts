import type { PgMigration } from './index.js';

/**
 * Datastreams (docs/web-sdk.md#datastreams), as in the embedded store: a Web SDK `configId`,
 * unique on the server, mapped to a client, its IMS org, the CRM id's identity namespace and a
 * property token. Small and read by id on every Edge call: on Citus, a reference table like `clients`.
 */
export const datastreams: PgMigration = {
  version: 10,
  name: 'datastreams',
  sql: `
    CREATE TABLE datastreams (
      config_id TEXT PRIMARY KEY,
      client TEXT NOT NULL REFERENCES clients(code),
      ims_org_id TEXT NOT NULL,
      third_party_id_namespace TEXT,
      property_token TEXT,
      created_at BIGINT NOT NULL,
      modified_at BIGINT NOT NULL
    );
    CREATE INDEX datastreams_by_client ON datastreams (client, config_id);
  `,
};
