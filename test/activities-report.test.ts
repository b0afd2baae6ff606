import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deliver } from './support/delivery.js';
import { admin, startTestServer, type TestServer } from './support/server.js';

/**
 * The report, from traffic through the HTTP API only: 2,000 seeded visitors each see two ab
 * activities; in `checkout-test` experience B converts at twice A's rate (20 % against 10 %), in
 * `banner-test` both convert at 10 %. Conversions arrive as click notifications carrying the click
 * metric's event token, as Adobe's SDKs send them. The report must call B's lift significant in
 * the first and not in the second.
 */
const VISITORS = 2000;

let server: TestServer;

function abActivity(name: string, location: string) {
  return {
    name,
    type: 'ab',
    state: 'live',
    priority: 0,
    experiences: [
      { id: 'A', name: 'Control', allocation: 50, offers: { [location]: { type: 'html', content: `<p>${name} A</p>` } } },
      { id: 'B', name: 'Variant', allocation: 50, offers: { [location]: { type: 'html', content: `<p>${name} B</p>` } } },
    ],
    metrics: [{ name: 'buy', type: 'click', location: 'buy' }],
  };
}

/** mulberry32: a small seeded generator, so the simulated traffic is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CONVERSION_RATES: Record<string, Record<string, number>> = {
  'checkout-test': { A: 0.1, B: 0.2 },
  'banner-test': { A: 0.1, B: 0.1 },
};

async function visit(visitor: number, random: () => number): Promise<void> {
  const tntId = `sim-${visitor}`;
  const shown = await deliver(server, `client=demo&sessionId=sim-${visitor}`, {
    context: { channel: 'web' },
    id: { tntId },
    execute: {
      mboxes: [
        { index: 0, name: 'checkout' },
        { index: 1, name: 'banner' },
      ],
    },
  });
  assert.equal(shown.status, 200);
  const notifications = [];
  for (const mbox of shown.body.execute.mboxes) {
    const [option] = mbox.options;
    const rate = CONVERSION_RATES[option.responseTokens['activity.id']]![option.responseTokens['experience.id']]!;
    if (random() < rate) {
      notifications.push({ id: `${tntId}-${mbox.name}`, type: 'click', timestamp: Date.now(), tokens: [mbox.metrics[0].eventToken] });
    }
  }
  if (notifications.length === 0) return;
  const converted = await deliver(server, `client=demo&sessionId=sim-${visitor}`, {
    context: { channel: 'web' },
    id: { tntId },
    notifications,
  });
  assert.equal(converted.status, 200);
}

// biome-ignore lint/suspicious/noExplicitAny: the report is asserted field by field
async function report(id: string): Promise<any> {
  const response = await admin(server, 'GET', `/admin/v1/clients/demo/activities/${id}/report`);
  assert.equal(response.status, 200);
  return response.json();
}

before(async () => {
  server = await startTestServer();
  for (const [id, location] of [
    ['checkout-test', 'checkout'],
    ['banner-test', 'banner'],
  ] as const) {
    const response = await admin(server, 'PUT', `/admin/v1/clients/demo/activities/${id}`, abActivity(id, location));
    assert.equal(response.status, 201, await response.text());
  }
  // Each visitor draws from its own seeded stream, so the traffic does not depend on the order calls complete in.
  const queue = Array.from({ length: VISITORS }, (_, visitor) => visitor);
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let visitor = queue.shift(); visitor !== undefined; visitor = queue.shift()) await visit(visitor, seeded(7_000 + visitor));
    }),
  );
});
after(() => server.dispose());

test('twice the conversion rate gives a significant lift, with its 95 % interval above zero', async () => {
  const document = await report('checkout-test');
  const [control, variant] = document.experiences;
  assert.equal(control.id, 'A');
  assert.equal(control.control, true);
  assert.equal(control.visitors + variant.visitors, VISITORS);
  assert.equal(control.impressions, control.visitors);
  assert.ok(Math.abs(control.visitors - VISITORS / 2) < 100, `a 50/50 split: ${control.visitors}`);
  const buy = variant.metrics.buy;
  assert.equal(buy.significant, true, JSON.stringify(buy));
  assert.equal(buy.tooFewVisitors, false);
  assert.ok(buy.lift > 0.5 && buy.lift < 1.6, `lift near 100 %: ${buy.lift}`);
  assert.ok(buy.interval.low > 0 && buy.interval.high > buy.lift, JSON.stringify(buy.interval));
  assert.ok(Math.abs(control.metrics.buy.rate - 0.1) < 0.03 && Math.abs(buy.rate - 0.2) < 0.04);
  assert.equal(buy.rate, buy.visitors / variant.visitors);
});

test('equal rates are not called significant', async () => {
  const document = await report('banner-test');
  const buy = document.experiences[1].metrics.buy;
  assert.equal(buy.significant, false, JSON.stringify(buy));
  assert.ok(buy.interval.low < 0 && buy.interval.high > 0, JSON.stringify(buy.interval));
});

test('too few visitors: nothing is called significant yet', async () => {
  const response = await admin(server, 'PUT', '/admin/v1/clients/demo/activities/fresh', abActivity('fresh', 'fresh'));
  assert.equal(response.status, 201);
  for (let visitor = 0; visitor < 20; visitor += 1) {
    const answer = await deliver(server, `client=demo&sessionId=fresh-${visitor}`, {
      context: { channel: 'web' },
      id: { tntId: `fresh-${visitor}` },
      execute: { mboxes: [{ index: 0, name: 'fresh' }] },
    });
    const [mbox] = answer.body.execute.mboxes;
    if (mbox.options[0].responseTokens['experience.id'] === 'B') {
      await deliver(server, `client=demo&sessionId=fresh-${visitor}`, {
        context: { channel: 'web' },
        id: { tntId: `fresh-${visitor}` },
        notifications: [{ id: `fresh-${visitor}`, type: 'click', timestamp: Date.now(), tokens: [mbox.metrics[0].eventToken] }],
      });
    }
  }
  const document = await report('fresh');
  const buy = document.experiences[1].metrics.buy;
  assert.equal(buy.tooFewVisitors, true);
  assert.equal(buy.significant, false);
});
