import type { Migration } from './index.js';

/**
 * Counting on the embedded store, second layout (docs/decisioning.md#counting, ADR 012). The
 * per-visitor counter rows of migration 6 cost every visit one random B-tree write per counted
 * experience; here the visitor's side lives on the profile row that the visit rewrites anyway, and
 * the report's side in one small row per experience (and metric):
 *
 * - `profiles.counted`: the `[activityId, experienceId, metric]` triples (`metric` is `""` for
 *   impressions) the profile has been counted in, as JSON, one per line — a visit counts a new
 *   visitor for a triple only when it is missing here.
 * - `activity_totals`: visitors and events per (client, activity, experience, metric); the group
 *   commit adds each transaction's increments once.
 *
 * The rows of migration 6 are carried over (totals summed, each profile's triples gathered), then
 * dropped.
 */
export const activityTotals: Migration = {
  version: 11,
  name: 'activity-totals',
  sql: `
    ALTER TABLE profiles ADD COLUMN counted TEXT;

    CREATE TABLE activity_totals (
      client TEXT NOT NULL,
      activity_id TEXT NOT NULL,
      experience_id TEXT NOT NULL,
      metric TEXT NOT NULL,
      visitors INTEGER NOT NULL,
      events INTEGER NOT NULL,
      PRIMARY KEY (client, activity_id, experience_id, metric)
    ) WITHOUT ROWID;

    INSERT INTO activity_totals (client, activity_id, experience_id, metric, visitors, events)
      SELECT client, activity_id, experience_id, '', COUNT(*), SUM(impressions)
        FROM activity_impressions GROUP BY client, activity_id, experience_id;
    INSERT INTO activity_totals (client, activity_id, experience_id, metric, visitors, events)
      SELECT client, activity_id, experience_id, metric, COUNT(*), SUM(conversions)
        FROM activity_conversions GROUP BY client, activity_id, experience_id, metric;

    CREATE TEMP TABLE counted_by_visitor AS
      SELECT client, visitor_key, group_concat(json_array(activity_id, experience_id, metric), char(10)) AS counted
        FROM (SELECT client, visitor_key, activity_id, experience_id, '' AS metric FROM activity_impressions
              UNION ALL
              SELECT client, visitor_key, activity_id, experience_id, metric FROM activity_conversions)
       GROUP BY client, visitor_key;
    CREATE INDEX temp.counted_by_visitor_key ON counted_by_visitor (client, visitor_key);
    UPDATE profiles SET counted = (
      SELECT c.counted FROM counted_by_visitor c WHERE c.client = profiles.client AND c.visitor_key = profiles.profile_key)
     WHERE EXISTS (SELECT 1 FROM counted_by_visitor c WHERE c.client = profiles.client AND c.visitor_key = profiles.profile_key);
    DROP TABLE counted_by_visitor;

    DROP TABLE activity_impressions;
    DROP TABLE activity_conversions;
  `,
};
