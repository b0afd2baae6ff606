import type { Migration } from './index.js';

/**
 * Datastreams (docs/web-sdk.md#datastreams): a Web SDK `configId`, unique on the server, mapped
 * to a client, its IMS org, the CRM id's identity namespace and a property token.
 */
export const datastreams: Migration = {
  version: 10,
  name: 'datastreams',
  sql: `
    CREATE TABLE datastreams (
      config_id TEXT PRIMARY KEY,
      client TEXT NOT NULL REFERENCES clients(code),
      ims_org_id TEXT NOT NULL,
      third_party_id_namespace TEXT,
      property_token TEXT,
      created_at INTEGER NOT NULL,
      modified_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX datastreams_by_client ON datastreams (client, config_id);
  `,
};
