import type { Migration } from './index.js';

/**
 * Counting for activity reports (docs/decisioning.md#counting). One counter row per visitor and
 * experience (and metric), upserted by the visit that counts, in the visit's transaction: a
 * report is an aggregate over them (distinct visitors = rows). `visitor_key` is the internal key
 * of the profile the visit landed on; the rows hold no visitor id.
 *
 * `counted_notifications` remembers each notification id counted, per client, so that a replay
 * counts nothing; ids older than the retention period are pruned by the lifetime sweep.
 * WITHOUT ROWID: the primary key is the table, and a report reads one (client, activity) range.
 */
export const activityCounts: Migration = {
  version: 6,
  name: 'activity-counts',
  sql: `
    CREATE TABLE activity_impressions (
      client TEXT NOT NULL,
      activity_id TEXT NOT NULL,
      experience_id TEXT NOT NULL,
      visitor_key TEXT NOT NULL,
      impressions INTEGER NOT NULL,
      first_at INTEGER NOT NULL,
      PRIMARY KEY (client, activity_id, experience_id, visitor_key)
    ) WITHOUT ROWID;

    CREATE TABLE activity_conversions (
      client TEXT NOT NULL,
      activity_id TEXT NOT NULL,
      experience_id TEXT NOT NULL,
      metric TEXT NOT NULL,
      visitor_key TEXT NOT NULL,
      conversions INTEGER NOT NULL,
      first_at INTEGER NOT NULL,
      PRIMARY KEY (client, activity_id, experience_id, metric, visitor_key)
    ) WITHOUT ROWID;

    CREATE TABLE counted_notifications (
      client TEXT NOT NULL,
      notification_id TEXT NOT NULL CHECK (length(notification_id) BETWEEN 1 AND 200),
      counted_at INTEGER NOT NULL,
      PRIMARY KEY (client, notification_id)
    ) WITHOUT ROWID;
    CREATE INDEX counted_notifications_by_age ON counted_notifications (counted_at);
  `,
};
