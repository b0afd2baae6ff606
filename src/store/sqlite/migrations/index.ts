import { foundation } from './001-foundation.js';
import { batches } from './002-batches.js';
import { delivery } from './003-delivery.js';
import { bulkCalls } from './004-bulk-calls.js';
import { activities } from './005-activities.js';
import { activityCounts } from './006-activity-counts.js';
import { profileScripts } from './008-profile-scripts.js';
import { importedArtifacts } from './009-imported-artifacts.js';
import { datastreams } from './010-datastreams.js';
import { activityTotals } from './011-activity-totals.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every schema change, in order. Append; never edit a migration that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  foundation,
  batches,
  delivery,
  bulkCalls,
  activities,
  activityCounts,
  profileScripts,
  importedArtifacts,
  datastreams,
  activityTotals,
];
