import { type ExperienceCounts, experienceCounts, type ReportsStore } from '../../features/reports/reports-store.js';
import type { SqliteDatabase } from './database.js';

/** Report counts on the embedded store: aggregates over one (client, activity) range of each counter table. */
export class SqliteReportsStore implements ReportsStore {
  private readonly impressions;
  private readonly conversions;
  private readonly forget;
  private readonly readBoth;

  constructor(db: SqliteDatabase) {
    this.impressions = db.prepare<[string, string], { experienceId: string; visitors: number; impressions: number }>(
      `SELECT experience_id AS experienceId, COUNT(*) AS visitors, SUM(impressions) AS impressions
         FROM activity_impressions WHERE client = ? AND activity_id = ? GROUP BY experience_id`,
    );
    this.conversions = db.prepare<[string, string], { experienceId: string; metric: string; visitors: number; conversions: number }>(
      `SELECT experience_id AS experienceId, metric, COUNT(*) AS visitors, SUM(conversions) AS conversions
         FROM activity_conversions WHERE client = ? AND activity_id = ? GROUP BY experience_id, metric`,
    );
    this.forget = db.prepare(
      `DELETE FROM counted_notifications WHERE (client, notification_id) IN (
         SELECT client, notification_id FROM counted_notifications WHERE counted_at < ? LIMIT ?)`,
    );
    // One read transaction: both aggregates see the same commits.
    this.readBoth = db.transaction((client: string, activityId: string) => ({
      impressions: this.impressions.all(client, activityId),
      conversions: this.conversions.all(client, activityId),
    }));
  }

  async activityCounts(client: string, activityId: string): Promise<ExperienceCounts[]> {
    const { impressions, conversions } = this.readBoth(client, activityId);
    return experienceCounts(impressions, conversions);
  }

  async forgetNotificationsBefore(before: number, limit: number): Promise<number> {
    return this.forget.run(before, limit).changes;
  }
}
