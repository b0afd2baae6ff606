import { foundation } from './001-foundation.js';
import { batchesAndVisits } from './002-batches-and-visits.js';
import { idLists } from './003-id-lists.js';
import { bulkCalls } from './004-bulk-calls.js';
import { activities } from './005-activities.js';
import { activityCounts } from './006-activity-counts.js';
import { profileScripts } from './008-profile-scripts.js';
import { importedArtifacts } from './009-imported-artifacts.js';
import { datastreams } from './010-datastreams.js';

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

/** Every PostgreSQL schema change, in order. Append; never edit a migration that has shipped. */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  foundation,
  batchesAndVisits,
  idLists,
  bulkCalls,
  activities,
  activityCounts,
  profileScripts,
  importedArtifacts,
  datastreams,
];
