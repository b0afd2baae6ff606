import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../domain/clock.js';
import { NOTIFICATION_RETENTION_MS } from '../delivery/visits-store.js';
import type { ExperienceCounts, ReportsStore } from './reports-store.js';
import { ReportsService } from './reports-service.js';

const clock = new ManualClock(Date.UTC(2026, 11, 1));
const activity = {
  name: 'Hero',
  experiences: [
    { id: 'A', name: 'Control' },
    { id: 'B', name: 'Bold' },
  ],
  metrics: [{ name: 'buy' }],
};

function storeWith(counts: ExperienceCounts[], forgotten: number[] = []): ReportsStore & { cutoffs: number[] } {
  const cutoffs: number[] = [];
  return {
    cutoffs,
    activityCounts: async () => counts,
    forgetNotificationsBefore: async (before, limit) => {
      cutoffs.push(before);
      return Math.min(forgotten.shift() ?? 0, limit);
    },
  };
}

test('a visitor who converted on a key without an impression (a merged profile) never pushes the rate past 1', async () => {
  const store = storeWith([
    { experienceId: 'A', visitors: 40, impressions: 50, metrics: new Map([['buy', { visitors: 10, conversions: 12 }]]) },
    // 3 impressions, 5 converting keys: two of them saw B on an absorbed anonymous profile.
    { experienceId: 'B', visitors: 3, impressions: 3, metrics: new Map([['buy', { visitors: 5, conversions: 5 }]]) },
  ]);
  const report = await new ReportsService(store, async () => activity, clock).report('c', 'hero');
  const bold = report.experiences[1]!.metrics.buy!;
  assert.deepEqual([bold.visitors, bold.conversions, bold.rate, bold.tooFewVisitors, bold.significant], [3, 5, 1, true, false]);
  assert.equal(report.experiences[0]!.metrics.buy!.rate, 0.25);
});

test('a metric named __proto__ is reported as an ordinary metric', async () => {
  const store = storeWith([
    { experienceId: 'A', visitors: 2, impressions: 2, metrics: new Map([['__proto__', { visitors: 1, conversions: 1 }]]) },
  ]);
  const report = await new ReportsService(store, async () => ({ ...activity, metrics: [{ name: '__proto__' }] }), clock).report('c', 'x');
  const metrics = report.experiences[0]!.metrics;
  assert.deepEqual(Object.keys(metrics), ['__proto__']);
  assert.match(JSON.stringify(metrics), /^\{"__proto__":\{"conversions":1,/);
});

test('the sweep forgets notification ids older than the retention period, in batches until none is left', async () => {
  const store = storeWith([], [500, 500, 20]);
  const forgotten = await new ReportsService(store, async () => null, clock).forgetOldNotifications();
  assert.equal(forgotten, 1020);
  assert.deepEqual(
    store.cutoffs,
    [1, 2, 3].map(() => clock.now() - NOTIFICATION_RETENTION_MS),
  );
});
