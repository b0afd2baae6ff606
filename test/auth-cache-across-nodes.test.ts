import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { secretFromDataDir } from '../src/cli/remote.js';
import { AuthChangeListener, AUTH_CHANGE_CHANNEL } from '../src/store/postgres/auth-change-listener.js';
import { type ServerProcess, spawnServer } from './support/process.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';
import { tempDir } from './support/server.js';

/**
 * Clients and tokens are cached in memory on every PostgreSQL node (ADR 004). A change made through
 * one node reaches the others' caches through LISTEN/NOTIFY. The nodes here trust a cached row for
 * 60 s, so only the notification can make them see a change within the one-second deadlines; the
 * controls (a change written straight into the database, which notifies nobody, goes unseen) show
 * that the cache really is in use.
 */
const ADMIN_KEY = 'auth-cache-admin-key-0123456789abcdef';
const SEEN_WITHIN_MS = 1_000;

let postgres: TestPostgres;
const work = tempDir('profile-edge-auth-cache-');
before(async () => {
  postgres = await startPostgres();
});
after(async () => {
  await postgres.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

let nodes = 0;
async function startNode(databaseUrl: string, env: Record<string, string> = {}): Promise<{ server: ServerProcess; dataDir: string }> {
  const dataDir = path.join(work, `node-${++nodes}`);
  fs.mkdirSync(dataDir);
  const server = await spawnServer(dataDir, {
    PROFILE_EDGE_DATABASE_URL: databaseUrl,
    PROFILE_EDGE_ADMIN_KEY: ADMIN_KEY,
    PROFILE_EDGE_AUTH_CACHE_TTL_SECONDS: '60',
    ...env,
  });
  return { server, dataDir };
}

async function stopNode(node: { server: ServerProcess }): Promise<void> {
  if (node.server.child.exitCode === null && node.server.child.signalCode === null) node.server.child.kill('SIGTERM');
  await node.server.exited;
}

async function sql(databaseUrl: string, text: string, params: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(text, params);
  } finally {
    await client.end();
  }
}

/** A profile fetch for a visitor that does not exist: 404 once the client and the token pass. */
async function fetchStatus(url: string, token?: string): Promise<number> {
  const response = await fetch(`${url}/rest/v1/profiles/nobody?client=demo`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  await response.arrayBuffer();
  return response.status;
}

/** Polls until `check` answers `expected`; returns how long that took, or fails after `withinMs`. */
async function seenWithin(withinMs: number, expected: number, check: () => Promise<number>): Promise<number> {
  const started = performance.now();
  let last = 0;
  while (performance.now() - started < withinMs) {
    last = await check();
    if (last === expected) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`still ${last} after ${withinMs} ms, expected ${expected}`);
}

/** Asserts that `check` keeps answering `expected` for `forMs`. */
async function stays(forMs: number, expected: number, check: () => Promise<number>, why: string): Promise<void> {
  const until = performance.now() + forMs;
  while (performance.now() < until) {
    assert.equal(await check(), expected, why);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function adminCall(url: string, method: string, pathAndQuery: string, body?: unknown): Promise<Response> {
  return fetch(url + pathAndQuery, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('the client and token cache on several PostgreSQL nodes', () => {
  test('a token regenerated through node A is refused by node B within a second, though B holds it in a 60 s cache', async () => {
    const databaseUrl = await postgres.createDatabase();
    const a = await startNode(databaseUrl);
    const b = await startNode(databaseUrl);
    try {
      const oldToken = secretFromDataDir(a.dataDir, 'DEMO_TOKEN')!;
      const onB = (token: string) => () => fetchStatus(b.server.url, token);
      for (let i = 0; i < 3; i++) assert.equal(await onB(oldToken)(), 404, 'the token works on B (no such profile)');

      // Control: expiring the token behind every node's back (no notification) goes unseen by B.
      const tokenId = oldToken.slice('pet_'.length, 'pet_'.length + 16);
      await sql(databaseUrl, 'UPDATE credentials SET expires_at = 1 WHERE id = $1', [tokenId]);
      await stays(SEEN_WITHIN_MS + 200, 404, onB(oldToken), 'B answers from its cache');
      await sql(databaseUrl, 'UPDATE credentials SET expires_at = created_at + 86400000 WHERE id = $1', [tokenId]);

      const issued = await adminCall(a.server.url, 'POST', '/admin/v1/clients/demo/authentication/token?authorizationScope=profile_api');
      assert.equal(issued.status, 201);
      const { accessToken: newToken } = (await issued.json()) as { accessToken: string };

      const tookMs = await seenWithin(SEEN_WITHIN_MS, 403, onB(oldToken));
      const refused = await fetch(`${b.server.url}/rest/v1/profiles/nobody?client=demo`, {
        headers: { authorization: `Bearer ${oldToken}` },
      });
      assert.deepEqual(await refused.json(), { status: 403, message: 'The profile token has been revoked' });
      assert.equal(await onB(newToken)(), 404, 'the new token works on B');
      assert.equal(await fetchStatus(a.server.url, oldToken), 403, 'and A, which made the change, refuses the old one');
      assert.ok(tookMs < SEEN_WITHIN_MS, `B saw the revocation after ${Math.round(tookMs)} ms`);
    } finally {
      await stopNode(a);
      await stopNode(b);
    }
  });

  test('requireAuth turned off and on again through node A is seen by node B within a second each time', async () => {
    const databaseUrl = await postgres.createDatabase();
    const a = await startNode(databaseUrl);
    const b = await startNode(databaseUrl);
    try {
      const anonymousOnB = () => fetchStatus(b.server.url);
      for (let i = 0; i < 3; i++) assert.equal(await anonymousOnB(), 401, 'demo requires a token');

      // Control: a change written straight into the database goes unseen by B.
      await sql(databaseUrl, "UPDATE clients SET require_auth = false WHERE code = 'demo'");
      await stays(SEEN_WITHIN_MS + 200, 401, anonymousOnB, 'B answers from its cache');
      await sql(databaseUrl, "UPDATE clients SET require_auth = true WHERE code = 'demo'");

      assert.equal((await adminCall(a.server.url, 'PUT', '/admin/v1/clients/demo', { requireAuth: false })).status, 200);
      await seenWithin(SEEN_WITHIN_MS, 404, anonymousOnB);
      await stays(300, 404, anonymousOnB, 'B keeps serving without a token');

      assert.equal((await adminCall(a.server.url, 'PUT', '/admin/v1/clients/demo', { requireAuth: true })).status, 200);
      await seenWithin(SEEN_WITHIN_MS, 401, anonymousOnB);
    } finally {
      await stopNode(a);
      await stopNode(b);
    }
  });

  test('with PROFILE_EDGE_AUTH_CACHE=off a node reads every client and token from the database', async () => {
    const databaseUrl = await postgres.createDatabase();
    const strict = await startNode(databaseUrl, { PROFILE_EDGE_AUTH_CACHE: 'off' });
    try {
      const token = secretFromDataDir(strict.dataDir, 'DEMO_TOKEN')!;
      for (let i = 0; i < 3; i++) assert.equal(await fetchStatus(strict.server.url, token), 404);
      await sql(databaseUrl, 'UPDATE credentials SET revoked_at = 1 WHERE id = $1', [token.slice(4, 20)]);
      assert.equal(await fetchStatus(strict.server.url, token), 403, 'the very next request sees a change nobody announced');
    } finally {
      await stopNode(strict);
    }
  });
});

describe('AuthChangeListener', () => {
  test('a lost connection turns caching off at once, reconnects, and reports that it may have missed changes', async () => {
    const databaseUrl = await postgres.createDatabase();
    const events: string[] = [];
    let listener: AuthChangeListener | undefined;
    listener = await AuthChangeListener.start(databaseUrl, () => events.push(listener?.listening ? 'listening' : 'not listening'), {
      retryMinMs: 20,
    });
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    const until = async (what: () => boolean) => {
      for (const deadline = Date.now() + 5_000; !what(); ) {
        assert.ok(Date.now() < deadline, 'timed out');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    try {
      assert.equal(listener.listening, true, 'listening once start() resolved');

      events.length = 0;
      await admin.query(`BEGIN; SELECT pg_notify('${AUTH_CHANGE_CHANNEL}', 'clients:demo'); ROLLBACK`);
      await admin.query(`SELECT pg_notify('${AUTH_CHANGE_CHANNEL}', 'clients:demo')`);
      await until(() => events.length > 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(events, ['listening'], 'one change heard: the rolled-back one was never sent');

      events.length = 0;
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`,
      );
      await until(() => !listener.listening);
      await until(() => listener.listening);
      assert.deepEqual(events, ['not listening', 'listening'], 'caches dropped when the connection went, and again once listening');

      events.length = 0;
      await admin.query(`SELECT pg_notify('${AUTH_CHANGE_CHANNEL}', 'credentials:profile_api:demo')`);
      await until(() => events.length > 0);
      assert.deepEqual(events, ['listening'], 'changes are heard again after the reconnect');
    } finally {
      await listener.stop();
      await admin.end();
    }
    assert.equal(listener.listening, false);
  });
});
