import type { PgMigration } from './index.js';

/**
 * Adobe rules artifacts imported by a client (docs/artifact.md#import), as in the embedded store:
 * at most one per client, its JSON as accepted, its version increased by every replacement; a
 * write bumps `activity_revisions` and is announced like an activity change. On Citus, a
 * reference table like `activities`.
 */
export const importedArtifacts: PgMigration = {
  version: 9,
  name: 'imported-artifacts',
  sql: `
    CREATE TABLE imported_artifacts (
      client TEXT PRIMARY KEY REFERENCES clients(code),
      version INTEGER NOT NULL,
      body TEXT NOT NULL,
      imported_at BIGINT NOT NULL
    );
  `,
};
