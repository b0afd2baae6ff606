import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AttributeMap } from './attributes.js';
import { DAY_MS } from './clock.js';
import { recordSessionVisit, SESSION_IDLE_MS, type SessionState } from './sessions.js';

const T0 = Date.UTC(2026, 0, 1);

function visits(steps: Array<[sessionId: string, at: number]>) {
  let attributes: AttributeMap = new Map();
  let session: SessionState | null = null;
  return steps.map(([sessionId, at]) => {
    const visit = recordSessionVisit(attributes, session, sessionId, at);
    attributes = visit.attributes;
    session = visit.session;
    return visit;
  });
}

test('the first visit starts the first session and stamps the system attributes', () => {
  const [first] = visits([['s1', T0]]);
  assert.deepEqual(first!.facts, { isFirstSession: true, isNewSession: true, daysSinceLastVisit: null, sessionCount: 1 });
  assert.equal(first!.attributes.get('firstSessionStart')?.value, String(T0));
  assert.equal(first!.attributes.get('lastSessionStart')?.value, String(T0));
  assert.equal(first!.attributes.get('sessionCount')?.value, '1');
});

test('the same sessionId within 30 minutes of the last visit continues the session', () => {
  const [, second, third] = visits([
    ['s1', T0],
    ['s1', T0 + 20 * 60_000],
    ['s1', T0 + 49 * 60_000],
  ]);
  assert.deepEqual(third!.facts, { isFirstSession: true, isNewSession: false, daysSinceLastVisit: null, sessionCount: 1 });
  assert.equal(second!.facts.isNewSession, false);
  assert.equal(third!.attributes.get('lastSessionStart')?.value, String(T0));
});

test('30 minutes idle starts a new session even with the same sessionId; 1 ms less does not', () => {
  const [, almost] = visits([
    ['s1', T0],
    ['s1', T0 + SESSION_IDLE_MS - 1],
  ]);
  assert.equal(almost!.facts.isNewSession, false);
  const [, idle] = visits([
    ['s1', T0],
    ['s1', T0 + SESSION_IDLE_MS],
  ]);
  assert.deepEqual(idle!.facts, { isFirstSession: false, isNewSession: true, daysSinceLastVisit: 0, sessionCount: 2 });
  assert.equal(idle!.attributes.get('lastSessionStart')?.value, String(T0 + SESSION_IDLE_MS));
  assert.equal(idle!.attributes.get('firstSessionStart')?.value, String(T0));
});

test('a new sessionId starts a new session at once', () => {
  const [, next] = visits([
    ['s1', T0],
    ['s2', T0 + 1000],
  ]);
  assert.equal(next!.facts.isNewSession, true);
  assert.equal(next!.attributes.get('sessionCount')?.value, '2');
});

test("daysSinceLastVisit counts whole days from the previous session's last visit", () => {
  const steps = visits([
    ['s1', T0],
    ['s1', T0 + 10 * 60_000],
    ['s2', T0 + 10 * 60_000 + 3 * DAY_MS + 5_000],
    ['s2', T0 + 10 * 60_000 + 3 * DAY_MS + 60_000],
  ]);
  assert.equal(steps[2]!.facts.daysSinceLastVisit, 3);
  assert.equal(steps[3]!.facts.daysSinceLastVisit, 3, 'stays the same for the rest of the session');
  assert.equal(steps[3]!.facts.isNewSession, false);
});

test('a profile written before any visit gets its first session counted from 1', () => {
  const before: AttributeMap = new Map([['favColor', { value: 'blue', modifiedAt: 1 }]]);
  const visit = recordSessionVisit(before, null, 's', T0);
  assert.equal(visit.attributes.get('favColor')?.value, 'blue');
  assert.equal(visit.facts.sessionCount, 1);
  assert.equal(before.size, 1, 'the input is not modified');
});
