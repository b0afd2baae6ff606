import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ManualClock } from '../src/domain/clock.js';
import type { VisitorIdRef } from '../src/domain/identity.js';
import type { CountedGroup } from '../src/features/delivery/visits-store.js';
import type { ReportedActivity } from '../src/features/reports/reports-service.js';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';

/**
 * The activity report over HTTP (docs/decisioning.md#reports): counts written by visits (as
 * delivery writes them, VisitWrite.counted), answered per experience of the activity in its
 * order with each metric against the control.
 */
const clock = new ManualClock(Date.UTC(2026, 11, 1, 9));
const HERO: ReportedActivity = {
  name: 'Spring hero',
  experiences: [
    { id: 'A', name: 'Control' },
    { id: 'B', name: 'Bold' },
    { id: 'C', name: 'Never shown' },
  ],
  metrics: [{ name: 'buy' }, { name: 'signup' }],
};
let server: TestServer;

before(async () => {
  server = await startTestServer({
    clock,
    activities: async (client, id) => (client === 'demo' && id === 'hero' ? HERO : null),
  });
});
after(() => server.dispose());

/** `visitors` visitors see `experience` of hero; the first `buyers` of them buy (the first buyer twice). */
async function seed(experience: string, visitors: number, buyers: number): Promise<void> {
  const visits = server.app.stores.visits;
  await Promise.all(
    Array.from({ length: visitors }, async (_, i) => {
      const ref: VisitorIdRef = { kind: 'tntId', value: `report-${experience}-${i}` };
      const groups: CountedGroup[] = [
        { notificationId: `display-${experience}-${i}`, events: [{ activityId: 'hero', experienceId: experience, kind: 'impression' }] },
      ];
      if (i < buyers) {
        const buy = { activityId: 'hero', experienceId: experience, kind: 'conversion' as const, metric: 'buy' };
        groups.push({ notificationId: `click-${experience}-${i}`, events: i === 0 ? [buy, buy] : [buy] });
      }
      await visits.recordVisit('demo', {
        now: clock.now(),
        expiresAt: clock.now() + 86_400_000,
        maxProfileBytes: 65_536,
        refs: [ref],
        apply: (state) => state,
        counted: () => groups,
      });
    }),
  );
}

test('an operator reads the report: every experience in order, rates, lift with its interval and significance against the control', async () => {
  await seed('A', 400, 40);
  await seed('B', 400, 80);
  const response = await admin(server, 'GET', '/admin/v1/clients/demo/activities/hero/report');
  assert.equal(response.status, 200);
  const report = (await response.json()) as {
    experiences: Array<{ id: string; metrics: Record<string, { lift: number | null; interval: { low: number; high: number } | null }> }>;
  };
  const [, bold] = report.experiences;
  const interval = bold!.metrics.buy!.interval!;
  assert.ok(interval.low > 0.3 && interval.low < 1 && interval.high > 1 && interval.high < 2, JSON.stringify(interval));
  assert.deepEqual(report, {
    activityId: 'hero',
    activityName: 'Spring hero',
    generatedAt: '2026-12-01T09:00:00.000Z',
    method: 'pooled two-proportion z-test, two-sided, 5 %; Katz log interval for the lift',
    experiences: [
      {
        id: 'A',
        name: 'Control',
        control: true,
        visitors: 400,
        impressions: 400,
        metrics: {
          buy: { conversions: 41, visitors: 40, rate: 0.1, lift: null, interval: null, significant: false, tooFewVisitors: false },
          signup: { conversions: 0, visitors: 0, rate: 0, lift: null, interval: null, significant: false, tooFewVisitors: true },
        },
      },
      {
        id: 'B',
        name: 'Bold',
        control: false,
        visitors: 400,
        impressions: 400,
        metrics: {
          buy: {
            conversions: 81,
            visitors: 80,
            rate: 0.2,
            lift: bold!.metrics.buy!.lift,
            interval,
            significant: true,
            tooFewVisitors: false,
          },
          signup: { conversions: 0, visitors: 0, rate: 0, lift: null, interval: null, significant: false, tooFewVisitors: true },
        },
      },
      {
        id: 'C',
        name: 'Never shown',
        control: false,
        visitors: 0,
        impressions: 0,
        metrics: {
          buy: { conversions: 0, visitors: 0, rate: null, lift: null, interval: null, significant: false, tooFewVisitors: true },
          signup: { conversions: 0, visitors: 0, rate: null, lift: null, interval: null, significant: false, tooFewVisitors: true },
        },
      },
    ],
  });
  assert.ok(Math.abs(bold!.metrics.buy!.lift! - 1) < 1e-12, 'twice the control’s rate: +100 %');
});

test('an unknown activity or client is a 404; the report needs the admin key', async () => {
  const unknownActivity = await admin(server, 'GET', '/admin/v1/clients/demo/activities/nope/report');
  assert.equal(unknownActivity.status, 404);
  assert.deepEqual(await unknownActivity.json(), { status: 404, message: 'No activity nope for client demo' });
  const unknownClient = await admin(server, 'GET', '/admin/v1/clients/nobody/activities/hero/report');
  assert.equal(unknownClient.status, 404);
  const withProfileToken = await server.fetch('/admin/v1/clients/demo/activities/hero/report', { headers: bearer(server.demoToken) });
  assert.equal(withProfileToken.status, 403);
  assert.equal((await server.fetch('/admin/v1/clients/demo/activities/hero/report')).status, 401);
});
