import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DAY_MS, ManualClock } from '../src/domain/clock.js';
import { parseDeliveryRequest } from '../src/features/delivery/delivery-request.js';
import { startTestServer, type TestServer } from './support/server.js';
import { attributesOf, deliver } from './support/delivery.js';

/**
 * Sessions, system attributes and profile lifetime on delivery calls
 * (docs/wire-contract.md#84-sessions-and-system-attributes, docs/wire-contract.md#34-lifetime).
 */
const START = Date.UTC(2026, 4, 1, 9);
const clock = new ManualClock(START);
let server: TestServer;
before(async () => {
  server = await startTestServer({ clock });
});
after(() => server.dispose());

const MINUTE = 60_000;

async function pageView(tntId: string, sessionId: string): Promise<void> {
  const { status } = await deliver(server, `client=demo&sessionId=${sessionId}`, { context: { channel: 'web' }, id: { tntId } });
  assert.equal(status, 200);
}

test('sessionCount, firstSessionStart and lastSessionStart follow sessionId changes and 30-minute idles', async () => {
  const tntId = 'session-visitor';
  clock.set(START);
  await pageView(tntId, 'a');
  clock.advance(29 * MINUTE);
  await pageView(tntId, 'a'); // 29 minutes idle: same session
  clock.advance(29 * MINUTE);
  await pageView(tntId, 'a'); // 58 minutes after the start, but never 30 idle: same session
  let attributes = await attributesOf(server, tntId);
  assert.deepEqual(
    [attributes?.sessionCount, attributes?.firstSessionStart, attributes?.lastSessionStart],
    ['1', String(START), String(START)],
  );

  clock.advance(30 * MINUTE);
  const idleRestart = clock.now();
  await pageView(tntId, 'a'); // 30 minutes idle: new session, same sessionId
  clock.advance(MINUTE);
  const switched = clock.now();
  await pageView(tntId, 'b'); // new sessionId: new session at once
  attributes = await attributesOf(server, tntId);
  assert.equal(attributes?.sessionCount, '3');
  assert.equal(attributes?.firstSessionStart, String(START));
  assert.equal(attributes?.lastSessionStart, String(switched));
  assert.notEqual(idleRestart, switched);
});

test('the service derives isFirstSession, isNewSession and daysSinceLastVisit per request', async () => {
  const { delivery, clients } = server.app.services;
  const demo = await clients.require('demo');
  const call = (sessionId: string) =>
    delivery.deliver(demo, sessionId, parseDeliveryRequest({ context: {}, id: { tntId: 'facts-visitor' } }, server.app.config.limits));

  clock.set(START);
  assert.deepEqual((await call('one')).facts, { isFirstSession: true, isNewSession: true, daysSinceLastVisit: null, sessionCount: 1 });
  clock.advance(5 * MINUTE);
  assert.deepEqual((await call('one')).facts, { isFirstSession: true, isNewSession: false, daysSinceLastVisit: null, sessionCount: 1 });
  clock.advance(2 * DAY_MS + 3 * MINUTE);
  assert.deepEqual((await call('two')).facts, { isFirstSession: false, isNewSession: true, daysSinceLastVisit: 2, sessionCount: 2 });
  clock.advance(MINUTE);
  assert.deepEqual((await call('two')).facts, { isFirstSession: false, isNewSession: false, daysSinceLastVisit: 2, sessionCount: 2 });
});

test('system attributes cannot be written by a caller, only by the server', async () => {
  const { status, body } = await deliver(server, 'client=demo&sessionId=s', {
    context: {},
    id: { tntId: 'forger' },
    execute: { pageLoad: { profileParameters: { firstSessionStart: '0' } } },
  });
  assert.equal(status, 400);
  assert.match(body.message, /reserved for the server/);
  assert.equal(await attributesOf(server, 'forger'), null);
});

test("every visit extends the profile's lifetime; an unvisited profile expires after profileLifetimeDays", async () => {
  clock.set(START);
  await pageView('regular', 's');
  await pageView('one-timer', 's');
  for (let day = 1; day <= 3; day++) {
    clock.advance(10 * DAY_MS);
    await pageView('regular', `s${day}`); // the demo client keeps profiles 14 days after the last visit
  }
  assert.equal(await attributesOf(server, 'one-timer'), null, 'untouched for 30 days: gone');
  assert.equal((await attributesOf(server, 'regular'))?.sessionCount, '4');
  clock.advance(14 * DAY_MS);
  assert.equal(await attributesOf(server, 'regular'), null, '14 days after the last visit: gone');

  // An expired visitor coming back starts over, as a first session.
  await pageView('regular', 'back');
  assert.equal((await attributesOf(server, 'regular'))?.sessionCount, '1');
});

test('a visit keeps the profile at least profileLifetimeDays, to the next full hour', async () => {
  clock.set(START + 20 * MINUTE); // 09:20
  await pageView('hourly', 's');
  clock.set(START + 14 * DAY_MS + 59 * MINUTE); // 14 days later, 09:59
  assert.notEqual(await attributesOf(server, 'hourly'), null, 'never shorter than the lifetime');
  clock.set(START + 14 * DAY_MS + 60 * MINUTE); // 10:00
  assert.equal(await attributesOf(server, 'hourly'), null);
});
