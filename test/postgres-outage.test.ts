import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { MixedLoad, verifyLedger } from '../bench/support/mixed-load.js';
import { classifyDatabaseError, databaseErrorAsAppError } from '../src/store/database-errors.js';
import { openPool } from '../src/store/postgres/database.js';
import { batchIdOf, waitForBatch, xmlField } from './support/batch.js';
import { m2Error, UPDATE_OK } from './support/m2.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';

/**
 * PostgreSQL restarted under a running server: while it is down every call answers 503 with
 * Retry-After in its endpoint family's body, never a 500 and never a crash; once it is back the
 * server serves again by itself (new connections, the batch processor still running), and
 * nothing acknowledged before the outage is lost.
 */
let postgres: TestPostgres;
let server: TestServer;
before(async () => {
  postgres = await startPostgres();
  server = await startTestServer({ config: { databaseUrl: await postgres.createDatabase() } });
});
after(async () => {
  await server?.dispose();
  await postgres?.stop();
});

const UNAVAILABLE = 'The database is unavailable; retry in 5 seconds';

async function answer(response: Promise<Response>) {
  const r = await response;
  return { status: r.status, retryAfter: r.headers.get('retry-after'), type: r.headers.get('content-type'), body: await r.text() };
}

const fetchProfile = () => server.fetch('/rest/v1/profiles/crm-7?client=demo', { headers: bearer(server.demoToken) });
const update = (value: string) =>
  server.fetch(`/m2/demo/profile/update?mboxPC=crm-7&profile.tier=${value}`, { headers: bearer(server.demoToken) });
const upload = (body: string, version = 'v2/') =>
  server.fetch(`/m2/demo/${version}profile/batchUpdate`, { method: 'POST', headers: bearer(server.demoToken), body });
const deliver = () =>
  server.fetch('/rest/v1/delivery?client=demo&sessionId=s1', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ context: { channel: 'web' }, id: { tntId: 'crm-7' } }),
  });

describe('PostgreSQL stopped and started again under a running server', () => {
  test('the outage answers 503 with Retry-After everywhere, and the server recovers by itself', async () => {
    assert.equal(
      (await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: 'crm-7', attributes: { tier: 'silver' } })).status,
      201,
    );
    assert.equal((await answer(update('gold'))).body, UPDATE_OK);

    await postgres.halt();

    const fetched = await answer(fetchProfile());
    assert.deepEqual(fetched, {
      status: 503,
      retryAfter: '5',
      type: 'application/json; charset=utf-8',
      body: JSON.stringify({ status: 503, message: UNAVAILABLE }),
    });
    const updated = await answer(update('platinum'));
    assert.deepEqual(updated, { status: 503, retryAfter: '5', type: 'application/xml', body: m2Error(UNAVAILABLE) });
    const uploaded = await answer(upload('batch=pcId,tier\ncrm-7,bronze\n'));
    assert.deepEqual(uploaded, { status: 503, retryAfter: '5', type: 'application/xml', body: m2Error(UNAVAILABLE) });
    const delivered = await answer(deliver());
    assert.deepEqual(delivered, {
      status: 503,
      retryAfter: '5',
      type: 'application/json; charset=utf-8',
      body: JSON.stringify({ status: 503, message: UNAVAILABLE }),
    });
    const adminRead = await answer(admin(server, 'GET', '/admin/v1/clients/demo/profiles/tntId/crm-7'));
    assert.equal(adminRead.status, 503);
    assert.equal(adminRead.retryAfter, '5');
    assert.equal((await server.fetch('/healthz')).status, 503);
    // Past the batch processor's idle poll: it met the outage too, and must still be running afterwards.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    await postgres.resume();

    const deadline = Date.now() + 20_000;
    let recovered = await answer(fetchProfile());
    while (recovered.status !== 200 && Date.now() < deadline) {
      assert.equal(recovered.status, 503, recovered.body);
      await new Promise((resolve) => setTimeout(resolve, 200));
      recovered = await answer(fetchProfile());
    }
    assert.equal(recovered.status, 200, recovered.body);
    assert.equal(
      (JSON.parse(recovered.body) as { profileAttributes: Record<string, { value: string }> }).profileAttributes.tier!.value,
      'gold',
      'the update acknowledged before the outage is there, the refused one is not',
    );
    assert.equal((await answer(update('platinum'))).body, UPDATE_OK);
    assert.equal((await server.fetch('/healthz')).status, 200);
    assert.equal((await answer(deliver())).status, 200);
    const submitted = await answer(upload('batch=pcId,tier,city\ncrm-7,diamond,Lyon\n'));
    assert.equal(submitted.status, 200, submitted.body);
    const status = await waitForBatch(server, 'demo', batchIdOf(submitted.body), server.demoToken, 20_000);
    assert.equal(xmlField(status, 'status'), 'complete', status);
    const profile = (await (await fetchProfile()).json()) as { profileAttributes: Record<string, { value: string }> };
    assert.equal(profile.profileAttributes.city!.value, 'Lyon');
  });

  test('a batch being applied when PostgreSQL stops finishes after it is back, with exact counters, never stuck', async () => {
    const rows = 60_000;
    const body = `batch=pcId,n\n${Array.from({ length: rows }, (_, i) => `mid-${i},${i}`).join('\n')}\n`;
    const submitted = await answer(upload(body, ''));
    assert.equal(submitted.status, 200, submitted.body);
    const batchId = batchIdOf(submitted.body);
    const statusOf = async () =>
      (
        await server.fetch(`/m2/demo/profile/batchStatus?batchId=${batchId}&showDetails=true`, { headers: bearer(server.demoToken) })
      ).text();
    // v1 only updates: every row is counted in profilesNotFound, which is fast and exact.
    let status = await statusOf();
    const started = Date.now() + 20_000;
    while (Number(xmlField(status, 'consumedCount')) === 0 && Date.now() < started) status = await statusOf();
    assert.equal(xmlField(status, 'status'), 'incomplete', `the batch must still be running when PostgreSQL stops: ${status}`);

    await postgres.halt();
    // Several chunk attempts fail meanwhile: more than the processor's budget for real faults.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await postgres.resume();

    const done = await waitForBatch(server, 'demo', batchId, server.demoToken, 60_000);
    assert.equal(xmlField(done, 'status'), 'complete', done);
    assert.equal(xmlField(done, 'consumedCount'), String(rows));
    assert.equal(xmlField(done, 'profilesNotFound'), String(rows));
    assert.equal(xmlField(done, 'failedUpdates'), '0');
  });

  test('connections killed again and again under a running batch (pg_terminate_backend) only delay it: it is never marked stuck', async () => {
    const rows = 60_000;
    const body = `batch=pcId,n\n${Array.from({ length: rows }, (_, i) => `kill-${i},${i}`).join('\n')}\n`;
    const submitted = await answer(upload(body, ''));
    assert.equal(submitted.status, 200, submitted.body);
    const batchId = batchIdOf(submitted.body);
    const killer = new pg.Client({ connectionString: postgres.adminUrl });
    await killer.connect();
    const database = new URL(server.app.config.databaseUrl!).pathname.slice(1);
    // The database stays up, so marking the batch stuck would succeed: only the processor's
    // reading of the errors keeps the batch alive.
    const until = Date.now() + 3000;
    let killed = 0;
    while (Date.now() < until) {
      const { rows: ended } = await killer.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [database],
      );
      killed += ended.length;
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await killer.end();
    assert.ok(killed > 3, `only ${killed} connections were killed`);
    const done = await waitForBatch(server, 'demo', batchId, server.demoToken, 60_000);
    assert.equal(xmlField(done, 'status'), 'complete', done);
    assert.equal(xmlField(done, 'consumedCount'), String(rows));
    assert.equal(xmlField(done, 'profilesNotFound'), String(rows));
  });

  test("PostgreSQL's own codes: a unique violation is a conflict, NUL in text is bad input, an exhausted pool or a terminated session is an outage", async () => {
    const client = new pg.Client({ connectionString: postgres.adminUrl });
    client.on('error', () => {}); // the session is terminated below
    await client.connect();
    await client.query('CREATE TEMP TABLE t (v TEXT UNIQUE)');
    await client.query("INSERT INTO t VALUES ('a')");
    const unique = await client.query("INSERT INTO t VALUES ('a')").catch((error: unknown) => error);
    const nul = await client.query('SELECT $1::text', ['a\u0000b']).catch((error: unknown) => error);
    const nulJson = await client.query('SELECT $1::jsonb', ['{"a":"\\u0000"}']).catch((error: unknown) => error);
    assert.deepEqual(classifyDatabaseError(unique), { kind: 'conflict' });
    assert.equal(databaseErrorAsAppError(unique)?.status, 409);
    for (const error of [nul, nulJson]) {
      assert.deepEqual(classifyDatabaseError(error), { kind: 'unstorable_text' }, String(error));
      assert.deepEqual(
        { status: databaseErrorAsAppError(error)?.status, message: databaseErrorAsAppError(error)?.message },
        { status: 400, message: 'The request holds text that cannot be stored (a NUL character)' },
      );
    }
    // Pool exhausted: the only connection is held, the next query gives up waiting.
    const exhausted = openPool(postgres.adminUrl, 1, { connectMs: 10_000, poolWaitMs: 200 });
    const held = await exhausted.connect();
    const waited = await exhausted.query('SELECT 1').catch((error: unknown) => error);
    held.release();
    await exhausted.end();
    assert.equal((waited as Error).message, 'timeout exceeded when trying to connect');
    assert.equal(databaseErrorAsAppError(waited)?.status, 503);

    const sleeping = client.query('SELECT pg_sleep(30)').catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await postgres.halt();
    const terminated = await sleeping;
    await client.end().catch(() => {});
    await postgres.resume();
    // 57P01 (admin_shutdown) when the server's goodbye arrives first, else the socket's end.
    assert.match(String((terminated as { code?: string }).code ?? (terminated as Error).message), /^57P01$|^Connection terminated/);
    assert.equal(databaseErrorAsAppError(terminated)?.status, 503, String(terminated));
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('PostgreSQL stopped under mixed load, and a pool with no free connection', () => {
  test('three seconds without PostgreSQL under mixed load: only 503s with Retry-After, never a 500 or a dropped connection; afterwards every acknowledged write is there', async (t) => {
    const target = { url: server.url, adminKey: server.adminKey, demoToken: server.demoToken };
    const load = new MixedLoad(target, { workers: 6, ratePerSecond: 100, runId: 'outage', batchRows: 100, profilesPerWorker: 5 });
    await load.prepare();
    load.start();
    await until('load under way', () => load.acknowledged >= 100);
    await postgres.halt();
    await sleep(3000);
    const refusedDuringOutage = load.failures.get(503) ?? 0;
    await postgres.resume();
    const atResume = load.acknowledged;
    await until('the load served again', () => load.acknowledged >= atResume + 150);
    await load.stop();

    assert.ok(refusedDuringOutage > 20, `only ${refusedDuringOutage} requests met the outage`);
    assert.deepEqual([...load.failures.keys()], [503], JSON.stringify(Object.fromEntries(load.failures)));
    assert.equal(load.unavailableWithoutRetryAfter, 0);
    const verdict = await verifyLedger(target, [load.ledger]);
    assert.deepEqual(verdict.problems, []);
    t.diagnostic(
      `outage of 3 s under load: ${load.acknowledged} acknowledged, ${load.failures.get(503)} answered 503 with Retry-After, ` +
        `none otherwise; checked ${JSON.stringify(verdict.checked)}`,
    );
    assert.ok(verdict.checked.batches > 0 && verdict.checked.impressions > 0, JSON.stringify(verdict.checked));
  });

  test('after an outage the lifetime sweep deletes again and the change listener listens again, by themselves', async () => {
    const databaseUrl = await postgres.createDatabase();
    // A one-second "day": a profile of a 1-day client expires a second after its last write.
    const node = await startTestServer({ config: { databaseUrl, lifetimeDayMs: 1000, sweepIntervalSeconds: 1 } });
    const db = new pg.Client({ connectionString: databaseUrl });
    try {
      assert.equal((await admin(node, 'PUT', '/admin/v1/clients/demo', { profileLifetimeDays: 1 })).status, 200);
      await postgres.halt();
      await sleep(2500); // several sweeps and listener reconnects fail meanwhile
      await postgres.resume();
      await db.connect();
      const created = await admin(node, 'POST', '/admin/v1/clients/demo/profiles', { tntId: 'swept-after-outage', attributes: { a: 'b' } });
      assert.equal(created.status, 201, await created.text());
      const stored = async () =>
        Number((await db.query("SELECT count(*) AS n FROM profile_ids WHERE id_value = 'swept-after-outage'")).rows[0].n);
      assert.equal(await stored(), 1);
      await until('the sweep to delete the expired profile', async () => (await stored()) === 0, 15_000);
      const database = new URL(databaseUrl).pathname.slice(1);
      await until('the listener to LISTEN again', async () => {
        const { rows } = await db.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN%'", [
          database,
        ]);
        return Number(rows[0].n) >= 1;
      });
    } finally {
      await db.end().catch(() => undefined);
      await node.dispose();
    }
  });

  test('every pooled connection busy: the requests that cannot get one within the wait answer 503 with Retry-After 1, then all is served', async () => {
    const databaseUrl = await postgres.createDatabase();
    const node = await startTestServer({ config: { databaseUrl, databasePoolSize: 2, databasePoolWaitMs: 200 } });
    const locker = new pg.Client({ connectionString: databaseUrl });
    await locker.connect();
    try {
      assert.equal((await admin(node, 'POST', '/admin/v1/clients/demo/profiles', { tntId: 'pooled', attributes: { a: 'b' } })).status, 201);
      // Both pooled connections end up waiting on this lock; the other requests wait for a connection.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE profiles IN ACCESS EXCLUSIVE MODE');
      const read = () => answer(node.fetch('/rest/v1/profiles/pooled?client=demo', { headers: bearer(node.demoToken) }));
      const answers = Array.from({ length: 8 }, read);
      await sleep(1000);
      await locker.query('COMMIT');
      const settled = await Promise.all(answers);
      const busy = settled.filter((a) => a.status === 503);
      assert.ok(busy.length >= 4, JSON.stringify(settled.map((a) => a.status)));
      for (const refused of busy) {
        assert.deepEqual(refused, {
          status: 503,
          retryAfter: '1',
          type: 'application/json; charset=utf-8',
          body: JSON.stringify({ status: 503, message: 'The database is busy; retry in 1 second' }),
        });
      }
      assert.deepEqual(
        settled.filter((a) => a.status !== 503).map((a) => a.status),
        Array(8 - busy.length).fill(200),
      );
      for (const again of await Promise.all(Array.from({ length: 8 }, read))) assert.equal(again.status, 200);
    } finally {
      await locker.end();
      await node.dispose();
    }
  });
});
