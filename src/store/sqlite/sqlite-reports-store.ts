import { type ExperienceCounts, experienceCounts, type ReportsStore } from '../../features/reports/reports-store.js';
import type { SqliteDatabase } from './database.js';

/** Report counts on the embedded store: one (client, activity) range of `activity_totals`, already summed by the visits. */
export class SqliteReportsStore implements ReportsStore {
  private readonly totals;
  private readonly forget;

  constructor(db: SqliteDatabase) {
    this.totals = db.prepare<[string, string], { experienceId: string; metric: string; visitors: number; events: number }>(
      `SELECT experience_id AS experienceId, metric, visitors, events
         FROM activity_totals WHERE client = ? AND activity_id = ?`,
    );
    this.forget = db.prepare(
      `DELETE FROM counted_notifications WHERE (client, notification_id) IN (
         SELECT client, notification_id FROM counted_notifications WHERE counted_at < ? LIMIT ?)`,
    );
  }

  async activityCounts(client: string, activityId: string): Promise<ExperienceCounts[]> {
    const rows = this.totals.all(client, activityId);
    return experienceCounts(
      rows
        .filter((row) => row.metric === '')
        .map(({ experienceId, visitors, events }) => ({ experienceId, visitors, impressions: events })),
      rows
        .filter((row) => row.metric !== '')
        .map(({ experienceId, metric, visitors, events }) => ({ experienceId, metric, visitors, conversions: events })),
    );
  }

  async forgetNotificationsBefore(before: number, limit: number): Promise<number> {
    return this.forget.run(before, limit).changes;
  }
}
