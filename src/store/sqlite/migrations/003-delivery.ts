import type { Migration } from './index.js';

/**
 * Delivery keeps each profile's session bookkeeping (last sessionId, session start, last visit)
 * beside its attributes, as JSON: it is written in the same row, under the same lock, as the
 * profile parameters of the visit. NULL = the profile was never visited through delivery.
 */
export const delivery: Migration = {
  version: 3,
  name: 'delivery',
  sql: `ALTER TABLE profiles ADD COLUMN session_state TEXT;`,
};
