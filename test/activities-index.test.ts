import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { ActivityIndex } from '../src/features/decisioning/compiled-activities.js';
import { verifyEventToken } from '../src/features/decisioning/event-tokens.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';
import { admin, startTestServer, type TestServer, tempDir } from './support/server.js';

/**
 * The decision index Delivery decides from: compiled once per change and kept in memory, it
 * follows writes made through the admin API — at once in the process that wrote, within a second
 * in another worker sharing the SQLite file (revision check) or another node on the same
 * PostgreSQL (LISTEN/NOTIFY) — and every process signs event tokens with the same key.
 */
const ADMIN_KEY = 'activities-index-admin-key-0123456789abcdef';
const SEEN_WITHIN_MS = 1_000;

const live = (name: string) => ({
  name,
  type: 'ab',
  state: 'live',
  priority: 1,
  experiences: [{ id: 'A', allocation: 100, offers: { hero: { type: 'html', content: `<p>${name}</p>` } } }],
  metrics: [],
});

const namesAt = (index: ActivityIndex, location: string) => (index.byLocation.get(location) ?? []).map((a) => a.name);

/** Milliseconds until `server`'s index of demo shows `expected` at `hero` (fails after 5 s). */
async function msUntil(server: TestServer, expected: string[]): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < 5_000) {
    if (JSON.stringify(namesAt(await server.app.services.activities.decisionIndex('demo'), 'hero')) === JSON.stringify(expected)) {
      return performance.now() - started;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`index never showed ${JSON.stringify(expected)}`);
}

async function put(server: TestServer, id: string, body: unknown): Promise<void> {
  const answer = await admin(server, 'PUT', `/admin/v1/clients/demo/activities/${id}`, body);
  assert.ok(answer.status === 200 || answer.status === 201, String(answer.status));
}

/** Two servers on one store: the second sees what the first writes, within the bound. */
async function followsTheOther(first: TestServer, second: TestServer): Promise<void> {
  assert.deepEqual(namesAt(await second.app.services.activities.decisionIndex('demo'), 'hero'), []);
  await put(first, 'hero', live('Version 1'));
  assert.ok((await msUntil(second, ['Version 1'])) < SEEN_WITHIN_MS);
  await put(first, 'hero', live('Version 2'));
  assert.ok((await msUntil(second, ['Version 2'])) < SEEN_WITHIN_MS);
  assert.equal((await admin(first, 'DELETE', '/admin/v1/clients/demo/activities/hero')).status, 204);
  assert.ok((await msUntil(second, [])) < SEEN_WITHIN_MS);
  // Both sign with the database's key: a token of one verifies with the other's keys.
  await put(first, 'hero', live('Signed'));
  await msUntil(second, ['Signed']);
  const token = (await first.app.services.activities.decisionIndex('demo')).byLocation.get('hero')![0]!.experiences[0]!.displayToken;
  assert.equal(verifyEventToken(token, await second.app.services.activities.eventTokenKeys())?.activityId, 'hero');
}

describe('one SQLite server process', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { adminKey: ADMIN_KEY } });
  });
  after(() => server.dispose());

  test('sees its own writes at once, and serves the same compiled index until the next write', async () => {
    const activities = server.app.services.activities;
    const empty = await activities.decisionIndex('demo');
    assert.equal(empty.byLocation.size, 0, 'a client without activities has an empty index');
    assert.equal(await activities.decisionIndex('demo'), empty, 'cached, even when empty');
    await put(server, 'hero', live('Mine'));
    const first = await activities.decisionIndex('demo');
    assert.deepEqual(namesAt(first, 'hero'), ['Mine'], 'no delay');
    assert.equal(await activities.decisionIndex('demo'), first);
    await put(server, 'draft', { ...live('Draft'), state: 'draft' });
    const second = await activities.decisionIndex('demo');
    assert.notEqual(second, first);
    assert.deepEqual(namesAt(second, 'hero'), ['Mine'], 'only live activities decide');
    assert.equal(second.byLocation.get('hero')![0], first.byLocation.get('hero')![0], 'an unchanged version is not compiled again');
  });
});

describe('two workers on one SQLite file', () => {
  const dataDir = tempDir();
  let first: TestServer;
  let second: TestServer;
  before(async () => {
    first = await startTestServer({ dataDir, config: { adminKey: ADMIN_KEY, workers: 2 } });
    second = await startTestServer({ dataDir, config: { adminKey: ADMIN_KEY, workers: 2 } });
  });
  after(async () => {
    await second.dispose();
    await first.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('a change through one worker reaches the other within a second', () => followsTheOther(first, second));
});

describe('two nodes on one PostgreSQL', () => {
  let postgres: TestPostgres;
  let first: TestServer;
  let second: TestServer;
  before(async () => {
    postgres = await startPostgres();
    const databaseUrl = await postgres.createDatabase();
    first = await startTestServer({ config: { adminKey: ADMIN_KEY, databaseUrl } });
    second = await startTestServer({ config: { adminKey: ADMIN_KEY, databaseUrl } });
  });
  after(async () => {
    await second?.dispose();
    await first?.dispose();
    await postgres?.stop();
  });

  test('a change through one node reaches the other within a second (LISTEN/NOTIFY)', () => followsTheOther(first, second));
});

describe('PROFILE_EDGE_EVENT_TOKEN_KEYS', () => {
  const current = randomBytes(32);
  const retiring = randomBytes(16);
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { adminKey: ADMIN_KEY, eventTokenKeys: [current, retiring] } });
  });
  after(() => server.dispose());

  test('the first configured key signs, every configured key verifies', async () => {
    await put(server, 'hero', live('Configured'));
    const index = await server.app.services.activities.decisionIndex('demo');
    const token = index.byLocation.get('hero')![0]!.experiences[0]!.displayToken;
    assert.equal(verifyEventToken(token, current)?.activityId, 'hero');
    assert.equal(verifyEventToken(token, retiring), null);
    assert.deepEqual(await server.app.services.activities.eventTokenKeys(), [current, retiring]);
  });
});
