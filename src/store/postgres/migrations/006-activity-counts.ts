import type { PgMigration } from './index.js';

/**
 * Counting for activity reports (docs/decisioning.md#counting), as on SQLite: one counter row per
 * visitor and experience (and metric), upserted (`+ n`) by the visit that counts, in the visit's
 * transaction. Per-visitor rows, so that no hot row serializes the deliveries of an activity:
 * a visitor's rows are only written by that visitor's visits, which already queue behind each
 * other. A report aggregates them (distinct visitors = rows). `visitor_key` is the internal key
 * of the profile the visit landed on; the rows hold no visitor id.
 *
 * `counted_notifications` remembers each notification id counted, per client: the visit inserts
 * it with `ON CONFLICT DO NOTHING`, so that of two transactions counting the same id one waits for
 * the other and then counts nothing. Pruned after the retention period by the lifetime sweep.
 *
 * Citus (docs/scaling.md): the counter tables distribute by `visitor_key`, co-located with
 * `profiles`; `counted_notifications` by `notification_id`.
 */
export const activityCounts: PgMigration = {
  version: 6,
  name: 'activity-counts',
  sql: `
    CREATE TABLE activity_impressions (
      client TEXT NOT NULL,
      activity_id TEXT NOT NULL,
      experience_id TEXT NOT NULL,
      visitor_key TEXT NOT NULL,
      impressions BIGINT NOT NULL,
      first_at BIGINT NOT NULL,
      PRIMARY KEY (client, activity_id, experience_id, visitor_key)
    );

    CREATE TABLE activity_conversions (
      client TEXT NOT NULL,
      activity_id TEXT NOT NULL,
      experience_id TEXT NOT NULL,
      metric TEXT NOT NULL,
      visitor_key TEXT NOT NULL,
      conversions BIGINT NOT NULL,
      first_at BIGINT NOT NULL,
      PRIMARY KEY (client, activity_id, experience_id, metric, visitor_key)
    );

    CREATE TABLE counted_notifications (
      client TEXT NOT NULL,
      notification_id TEXT NOT NULL CHECK (char_length(notification_id) BETWEEN 1 AND 200),
      counted_at BIGINT NOT NULL,
      PRIMARY KEY (client, notification_id)
    );
    CREATE INDEX counted_notifications_by_age ON counted_notifications (counted_at);
  `,
};
