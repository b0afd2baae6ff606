import type { Clock } from '../../domain/clock.js';
import { NotFoundError } from '../../errors.js';
import { type Arm, compareToControl, tooFewVisitors } from '../decisioning/report-stats.js';
import { NOTIFICATION_RETENTION_MS } from '../delivery/visits-store.js';
import type { ExperienceCounts, ReportsStore } from './reports-store.js';

/** What a report needs to know of an activity: its experiences in order (the first is the control) and its metrics. */
export interface ReportedActivity {
  name: string;
  /** An experience without a name is reported under its id. */
  experiences: ReadonlyArray<{ id: string; name?: string }>;
  metrics: ReadonlyArray<{ name: string }>;
}

/** The stored activity `id` of a client, or null when there is none. */
export type ActivityLookup = (client: string, activityId: string) => Promise<ReportedActivity | null>;

export const REPORT_METHOD = 'pooled two-proportion z-test, two-sided, 5 %; Katz log interval for the lift';

export interface MetricReport {
  conversions: number;
  /** Distinct visitors who converted, at most `visitors` of the experience. */
  visitors: number;
  /** visitors / the experience's visitors; null while it has none. */
  rate: number | null;
  /** Against the control; null for the control and while the control has no conversion. */
  lift: number | null;
  interval: { low: number; high: number } | null;
  significant: boolean;
  tooFewVisitors: boolean;
}

export interface ExperienceReport {
  id: string;
  name: string;
  control: boolean;
  visitors: number;
  impressions: number;
  metrics: Record<string, MetricReport>;
}

export interface ActivityReport {
  activityId: string;
  activityName: string;
  generatedAt: string;
  method: string;
  experiences: ExperienceReport[];
}

const NO_COUNTS: Omit<ExperienceCounts, 'experienceId'> = { visitors: 0, impressions: 0, metrics: new Map() };

/**
 * Activity reports (docs/decisioning.md#reports): the counts the visits wrote, per experience of
 * the activity in its order, each metric against the control (the first experience) by
 * report-stats.ts. Also prunes the remembered notification ids, from the lifetime sweep.
 */
export class ReportsService {
  constructor(
    private readonly store: ReportsStore,
    private readonly activities: ActivityLookup,
    private readonly clock: Clock,
  ) {}

  async report(client: string, activityId: string): Promise<ActivityReport> {
    const activity = await this.activities(client, activityId);
    if (!activity) throw new NotFoundError(`No activity ${activityId} for client ${client}`, 'activity_not_found');
    const counted = new Map((await this.store.activityCounts(client, activityId)).map((counts) => [counts.experienceId, counts]));
    const countsOf = (id: string) => counted.get(id) ?? { ...NO_COUNTS, experienceId: id };
    const control = activity.experiences[0] ? countsOf(activity.experiences[0].id) : undefined;

    const experiences = activity.experiences.map(({ id, name }, position): ExperienceReport => {
      const counts = countsOf(id);
      const metrics = activity.metrics.map(({ name: metric }): [string, MetricReport] => [
        metric,
        metricReport(counts, metric, position === 0 ? null : armOf(control!, metric)),
      ]);
      return {
        id,
        name: name ?? id,
        control: position === 0,
        visitors: counts.visitors,
        impressions: counts.impressions,
        // fromEntries defines own properties, whatever the metric is named (`__proto__` included).
        metrics: Object.fromEntries(metrics),
      };
    });
    return {
      activityId,
      activityName: activity.name,
      generatedAt: new Date(this.clock.now()).toISOString(),
      method: REPORT_METHOD,
      experiences,
    };
  }

  /** Forgets notification ids counted longer ago than the retention period; answers how many. */
  async forgetOldNotifications(batchSize = 500, maxBatches = 200): Promise<number> {
    const before = this.clock.now() - NOTIFICATION_RETENTION_MS;
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const removed = await this.store.forgetNotificationsBefore(before, batchSize);
      total += removed;
      if (removed < batchSize) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return total;
  }
}

/**
 * One metric of one experience as the statistics see it. A visitor counted as converting without
 * an impression of the experience (a merged profile, docs/decisioning.md#counting) would make
 * the rate pass 1: converting visitors are capped at the experience's visitors.
 */
function armOf(counts: ExperienceCounts, metric: string): Arm {
  const converted = counts.metrics.get(metric)?.visitors ?? 0;
  return { visitors: counts.visitors, conversions: Math.min(converted, counts.visitors) };
}

function metricReport(counts: ExperienceCounts, metric: string, control: Arm | null): MetricReport {
  const arm = armOf(counts, metric);
  const base = {
    conversions: counts.metrics.get(metric)?.conversions ?? 0,
    visitors: arm.conversions,
    rate: arm.visitors === 0 ? null : arm.conversions / arm.visitors,
  };
  if (control === null) return { ...base, lift: null, interval: null, significant: false, tooFewVisitors: tooFewVisitors(arm) };
  const comparison = compareToControl(control, arm);
  return {
    ...base,
    lift: comparison.lift,
    interval: comparison.liftInterval && { low: comparison.liftInterval.lower, high: comparison.liftInterval.upper },
    significant: comparison.significant,
    tooFewVisitors: comparison.tooFewVisitors,
  };
}
