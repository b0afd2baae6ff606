import type { Migration } from './index.js';

/**
 * Adobe rules artifacts imported by a client (docs/artifact.md#import): at most one per client, its
 * JSON as accepted, its version increased by every replacement. A write bumps the client's
 * `activity_revisions` in the same transaction, so every worker recompiles as for an activity.
 */
export const importedArtifacts: Migration = {
  version: 9,
  name: 'imported-artifacts',
  sql: `
    CREATE TABLE imported_artifacts (
      client TEXT PRIMARY KEY REFERENCES clients(code),
      version INTEGER NOT NULL,
      body TEXT NOT NULL,
      imported_at INTEGER NOT NULL
    ) WITHOUT ROWID;
  `,
};
