import { type ExperienceCounts, experienceCounts, type ReportsStore } from '../../features/reports/reports-store.js';
import type { PgPool } from './database.js';

/**
 * Report counts on PostgreSQL: aggregates over one (client, activity) range of each counter table
 * (on Citus a multi-shard aggregate, run by an admin call, never by a visit).
 */
export class PgReportsStore implements ReportsStore {
  constructor(private readonly pool: PgPool) {}

  async activityCounts(client: string, activityId: string): Promise<ExperienceCounts[]> {
    // One statement, one snapshot: both aggregates see the same commits.
    const { rows } = await this.pool.query<{ experience_id: string; metric: string | null; visitors: string; total: string }>(
      `SELECT experience_id, NULL AS metric, COUNT(*) AS visitors, SUM(impressions) AS total
         FROM activity_impressions WHERE client = $1 AND activity_id = $2 GROUP BY experience_id
       UNION ALL
       SELECT experience_id, metric, COUNT(*), SUM(conversions)
         FROM activity_conversions WHERE client = $1 AND activity_id = $2 GROUP BY experience_id, metric`,
      [client, activityId],
    );
    const impressions = rows
      .filter((row) => row.metric === null)
      .map((row) => ({ experienceId: row.experience_id, visitors: Number(row.visitors), impressions: Number(row.total) }));
    const conversions = rows
      .filter((row) => row.metric !== null)
      .map((row) => ({
        experienceId: row.experience_id,
        metric: row.metric!,
        visitors: Number(row.visitors),
        conversions: Number(row.total),
      }));
    return experienceCounts(impressions, conversions);
  }

  async forgetNotificationsBefore(before: number, limit: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM counted_notifications WHERE (client, notification_id) IN (
         SELECT client, notification_id FROM counted_notifications WHERE counted_at < $1 LIMIT $2)`,
      [before, limit],
    );
    return rowCount ?? 0;
  }
}
