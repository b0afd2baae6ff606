import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
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
