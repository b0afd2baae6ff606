/** Counts of one metric of one experience. */
export interface MetricCounts {
  /** Distinct visitors who converted at least once. */
  visitors: number;
  /** Every conversion counted (a visitor may convert several times). */
  conversions: number;
}

/** What was counted for one experience of an activity (docs/decisioning.md#counting). */
export interface ExperienceCounts {
  experienceId: string;
  /** Distinct visitors with at least one impression. */
  visitors: number;
  /** Every impression counted. */
  impressions: number;
  /** By metric name; a metric nobody converted on is absent. */
  metrics: Map<string, MetricCounts>;
}

/**
 * What reports need from storage: the counts that visits wrote (VisitWrite.counted in
 * src/features/delivery/visits-store.ts), aggregated by the database, and the pruning of the
 * remembered notification ids.
 */
export interface ReportsStore {
  /** Per experience that has any count, in no particular order. */
  activityCounts(client: string, activityId: string): Promise<ExperienceCounts[]>;
  /** Forgets up to `limit` notification ids counted before `before` (epoch ms); answers how many. */
  forgetNotificationsBefore(before: number, limit: number): Promise<number>;
}

/** Folds the two aggregates (impressions per experience, conversions per experience and metric) into ExperienceCounts. */
export function experienceCounts(
  impressions: Iterable<{ experienceId: string; visitors: number; impressions: number }>,
  conversions: Iterable<{ experienceId: string; metric: string; visitors: number; conversions: number }>,
): ExperienceCounts[] {
  const byId = new Map<string, ExperienceCounts>();
  const of = (experienceId: string) => {
    let counts = byId.get(experienceId);
    if (!counts) {
      counts = { experienceId, visitors: 0, impressions: 0, metrics: new Map() };
      byId.set(experienceId, counts);
    }
    return counts;
  };
  for (const row of impressions) Object.assign(of(row.experienceId), { visitors: row.visitors, impressions: row.impressions });
  for (const row of conversions) of(row.experienceId).metrics.set(row.metric, { visitors: row.visitors, conversions: row.conversions });
  return [...byId.values()];
}
