import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { DISK_FULL_MESSAGE } from '../src/store/database-errors.js';
import { batchIdOf, waitForBatch, xmlField } from './support/batch.js';
import { ecidOf, edgeCall, pageView } from './support/edge.js';
import { m2Error, UPDATE_OK } from './support/m2.js';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';
import { mountable, mountSmallDisk, type SmallDisk } from './support/tmpfs.js';

/**
 * The data directory on a small disk of its own (a tmpfs: real ENOSPC from the kernel), filled to
 * the last block with a ballast file while the server runs, then freed. While it is full, every
 * write answers 507 in its endpoint family's body and nothing of it is stored, reads still answer,
 * /healthz says 507 and /readyz 503; a batch upload is refused before it is acknowledged, and a
 * batch being applied waits instead of getting stuck. Once the ballast is removed the same server,
 * never restarted, takes writes again, and everything acknowledged before is there.
 */
const skip = mountable();
let disk: SmallDisk;
let server: TestServer;
before(async () => {
  if (skip) return;
  disk = mountSmallDisk(48);
  server = await startTestServer({ dataDir: path.join(disk.dir, 'data') });
});
after(async () => {
  await server?.dispose();
  if (server) fs.rmSync(server.dataDir, { recursive: true, force: true });
  disk?.unmount();
});

const JSON_TYPE = 'application/json; charset=utf-8';
const diskFullJson = JSON.stringify({ status: 507, message: DISK_FULL_MESSAGE });

async function answer(response: Promise<Response>) {
  const r = await response;
  return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
}

const update = (id: string, value: string) =>
  server.fetch(`/m2/demo/profile/update?mboxPC=${id}&profile.tier=${value}`, { headers: bearer(server.demoToken) });
const fetchTier = async (id: string) => {
  const response = await server.fetch(`/rest/v1/profiles/${id}?client=demo`, { headers: bearer(server.demoToken) });
  if (response.status !== 200) return `${response.status}`;
  return ((await response.json()) as { profileAttributes: Record<string, { value: string }> }).profileAttributes.tier?.value;
};
const deliver = (tntId: string) =>
  server.fetch('/rest/v1/delivery?client=demo&sessionId=s1', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ context: { channel: 'web' }, id: { tntId }, execute: { pageLoad: { profileParameters: { seen: 'yes' } } } }),
  });
/** A Web SDK page view from a new browser (no ECID yet: one is minted, a new profile stored). */
const interact = () => edgeCall(server, '/ee/v1/interact?configId=web-1', { events: [pageView({ target: { 'profile.seen': 'yes' } })] });
const upload = (body: string) =>
  server.fetch('/m2/demo/v2/profile/batchUpdate', { method: 'POST', headers: bearer(server.demoToken), body });
const batchRows = (prefix: string, rows: number) =>
  `batch=pcId,tier,n\n${Array.from({ length: rows }, (_, i) => `${prefix}-${i},t${i % 5},${i}`).join('\n')}\n`;

const metricsText = async () => (await server.fetch('/metrics', { headers: bearer(server.adminKey) })).text();

/** Files in the batch body folder (none before the first upload). */
function bodyFiles(): string[] {
  const dir = path.join(server.dataDir, 'batches');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

function storedBatches(): number {
  const db = new Database(path.join(server.dataDir, 'profile-edge.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM batches').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Writes `write(0)`, `write(1)`, … until one is not a 200/201: that answer, and how many were acknowledged. */
async function untilRefused(write: (i: number) => Promise<{ status: number; type: string | null; body: string }>, max = 3000) {
  for (let i = 0; i < max; i++) {
    const answered = await write(i);
    if (answered.status !== 200 && answered.status !== 201) return { acknowledged: i, refused: answered };
  }
  throw new Error(`${max} writes acknowledged on a full disk`);
}

const noteOf = async (id: string) => {
  const response = await server.fetch(`/rest/v1/profiles/${id}?client=demo`, { headers: bearer(server.demoToken) });
  return ((await response.json()) as { profileAttributes: Record<string, { value: string }> }).profileAttributes.note?.value;
};

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the data directory runs out of disk space', { skip: skip ?? false }, () => {
  test('writes answer 507 in each family’s body, reads answer, health says so; freed space is used again without a restart', async (t) => {
    for (const id of ['kept-1', 'kept-2', 'kept-3']) {
      assert.equal(
        (await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: id, attributes: { tier: 'silver' } })).status,
        201,
      );
    }
    assert.equal((await answer(update('kept-1', 'gold'))).body, UPDATE_OK);
    assert.equal((await admin(server, 'PUT', '/admin/v1/clients/demo/datastreams/web-1', { imsOrgId: 'ORG@AdobeOrg' })).status, 201);
    assert.equal((await interact()).status, 200);
    assert.equal((await server.fetch('/healthz')).status, 200);
    assert.deepEqual(await (await server.fetch('/readyz')).json(), { status: 'ready' });

    disk.fill();
    assert.ok(disk.freeBytes() < 4096, `${disk.freeBytes()} bytes still free`);

    // A write may still fit in space SQLite holds already (WAL frames it reuses): then it is
    // acknowledged and kept. Each family is written until the disk refuses it, and then it must be
    // a 507 in that family's body, with nothing of the write stored.
    const xml507 = { status: 507, type: 'application/xml', body: m2Error(DISK_FULL_MESSAGE) };
    const json507 = { status: 507, type: JSON_TYPE, body: diskFullJson };
    const note = (i: number) => `${i}-${'n'.repeat(3000)}`;
    const updates = await untilRefused((i) =>
      answer(server.fetch(`/m2/demo/profile/update?mboxPC=kept-1&profile.note=${note(i)}`, { headers: bearer(server.demoToken) })),
    );
    assert.deepEqual(updates.refused, xml507);
    const visits = await untilRefused((i) => answer(deliver(`new-visitor-${i}`)));
    assert.deepEqual(visits.refused, json507);
    const created = await untilRefused((i) =>
      answer(admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: `new-${i}`, attributes: { a: 'b' } })),
    );
    assert.deepEqual(created.refused, json507);
    // The Edge routes (Adobe's Web SDK) answer their own error shape, a problem document.
    const ecids: string[] = [];
    const edgeVisits = await untilRefused(async () => {
      const reply = await interact();
      if (reply.status === 200) ecids.push(ecidOf(reply));
      return { status: reply.status, type: reply.type, body: reply.text };
    });
    assert.equal(edgeVisits.refused.status, 507);
    assert.equal(edgeVisits.refused.type, 'application/problem+json; charset=utf-8');
    assert.deepEqual(JSON.parse(edgeVisits.refused.body), {
      type: 'urn:profile-edge:error:disk_full',
      status: 507,
      title: 'Insufficient Storage',
      detail: DISK_FULL_MESSAGE,
    });
    t.diagnostic(
      `full disk: ${updates.acknowledged} updates, ${visits.acknowledged} visits, ${created.acknowledged} profiles, ${edgeVisits.acknowledged} Edge visits still fitted before the first 507`,
    );
    // A batch upload is refused before it is acknowledged: no batch recorded, no body left behind.
    const batchesBefore = storedBatches();
    assert.deepEqual(await answer(upload(batchRows('full', 100))), {
      status: 507,
      type: 'application/xml',
      body: m2Error(DISK_FULL_MESSAGE),
    });
    assert.equal(storedBatches(), batchesBefore);
    assert.deepEqual(bodyFiles(), []);

    // Reads still answer, with what was acknowledged; nothing refused was stored.
    assert.equal(await fetchTier('kept-1'), 'gold');
    assert.equal(await fetchTier('kept-2'), 'silver');
    assert.equal(await fetchTier(`new-${created.acknowledged}`), '404', 'the refused profile was not created');
    assert.equal(await noteOf('kept-1'), updates.acknowledged === 0 ? undefined : note(updates.acknowledged - 1));
    // Health reports the condition; the load balancer's answer is a 503 with Retry-After.
    assert.deepEqual(await answer(server.fetch('/healthz')), {
      status: 507,
      type: JSON_TYPE,
      body: JSON.stringify({ status: 507, message: 'The server is out of disk space: writes are refused until space is freed' }),
    });
    const notReady = await server.fetch('/readyz');
    assert.equal(notReady.status, 503);
    assert.equal(notReady.headers.get('retry-after'), '10');
    assert.match(await metricsText(), /^profile_edge_disk_full 1$/m);

    disk.free();

    await until('/healthz to say ok', async () => (await server.fetch('/healthz')).status === 200);
    assert.equal((await server.fetch('/readyz')).status, 200);
    assert.match(await metricsText(), /^profile_edge_disk_full 0$/m);
    assert.equal((await answer(update('kept-1', 'platinum'))).body, UPDATE_OK);
    assert.equal((await answer(deliver('new-visitor-after'))).status, 200);
    assert.equal(
      (await answer(admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: 'new-after', attributes: {} }))).status,
      201,
    );
    const submitted = await answer(upload(batchRows('after', 50)));
    assert.equal(submitted.status, 200, submitted.body);
    const done = await waitForBatch(server, 'demo', batchIdOf(submitted.body));
    assert.equal(xmlField(done, 'successfulUpdates'), '50', done);
    assert.equal(await fetchTier('kept-1'), 'platinum');
    assert.equal(await fetchTier('kept-2'), 'silver');
    assert.equal(await fetchTier('after-49'), 't4');
    // Every write acknowledged while the disk was full is there.
    for (let i = 0; i < created.acknowledged; i++) assert.notEqual(await fetchTier(`new-${i}`), '404', `new-${i}`);
    for (const ecid of ecids) {
      const seen = await server.fetch(`/rest/v1/profiles/marketingCloudVisitorId/${ecid}?client=demo`, {
        headers: bearer(server.demoToken),
      });
      assert.equal(seen.status, 200, `ECID ${ecid}`);
    }
    assert.equal((await interact()).status, 200);
    for (let i = 0; i < visits.acknowledged; i++) {
      const seen = await server.fetch(`/rest/v1/profiles/new-visitor-${i}?client=demo`, { headers: bearer(server.demoToken) });
      assert.equal(seen.status, 200, `new-visitor-${i}`);
    }
  });

  test('a batch too large for the space left is refused from its Content-Length, before its body is read', async () => {
    const room = disk.freeBytes();
    const response = await server.fetch('/m2/demo/v2/profile/batchUpdate', {
      method: 'POST',
      headers: { ...bearer(server.demoToken), 'content-length': String(room) },
      body: 'x'.repeat(room),
      duplex: 'half',
    } as RequestInit);
    assert.equal(response.status, 507);
    assert.equal(await response.text(), m2Error(DISK_FULL_MESSAGE));
    assert.deepEqual(bodyFiles(), []);
  });

  test('a batch being applied when the disk fills waits, then finishes with exact counters once space is freed', async (t) => {
    const rows = 40_000;
    const submitted = await answer(upload(batchRows('mid', rows)));
    assert.equal(submitted.status, 200, submitted.body);
    const batchId = batchIdOf(submitted.body);
    disk.fill();
    // Long enough for several chunk attempts, more than the processor allows real faults.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const status = await (
      await server.fetch(`/m2/demo/profile/batchStatus?batchId=${batchId}&showDetails=true`, { headers: bearer(server.demoToken) })
    ).text();
    assert.equal(xmlField(status, 'status'), 'incomplete', `the batch must still be waiting while the disk is full: ${status}`);
    assert.ok(Number(xmlField(status, 'consumedCount')) < rows, status);
    assert.equal((await server.fetch('/healthz')).status, 507);
    t.diagnostic(`batch waiting on the full disk at ${xmlField(status, 'consumedCount')} of ${rows} rows`);

    disk.free();

    const done = await waitForBatch(server, 'demo', batchId, server.demoToken, 60_000);
    assert.equal(xmlField(done, 'status'), 'complete', done);
    assert.equal(xmlField(done, 'consumedCount'), String(rows));
    assert.equal(xmlField(done, 'successfulUpdates'), String(rows));
    assert.equal(xmlField(done, 'failedUpdates'), '0');
    assert.equal(await fetchTier(`mid-${rows - 1}`), `t${(rows - 1) % 5}`);
    await until('/healthz to say ok', async () => (await server.fetch('/healthz')).status === 200);
  });
});
