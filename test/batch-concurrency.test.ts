import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { batchFile, batchIdOf, curlBatch, profileValues, waitForBatch, xmlField } from './support/batch.js';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
let otherToken: string;
before(async () => {
  server = await startTestServer();
  await admin(server, 'PUT', '/admin/v1/clients/other', {});
  const issued = await admin(server, 'POST', '/admin/v1/clients/other/authentication/token?authorizationScope=profile_api');
  otherToken = ((await issued.json()) as { accessToken: string }).accessToken;
});
after(() => server.dispose());

function rows(count: number, value: string, prefix = 'k'): string {
  const lines = ['batch=pcId,color,n'];
  for (let i = 0; i < count; i++) lines.push(`${prefix}-${i},${value},${i}`);
  return lines.join('\n') + '\n';
}

async function detailed(client: string, batchId: string, token: string): Promise<{ status: string; consumed: number }> {
  const xml = await (
    await server.fetch(`/m2/${client}/profile/batchStatus?batchId=${batchId}&showDetails=true`, { headers: bearer(token) })
  ).text();
  return { status: xmlField(xml, 'status')!, consumed: Number(xmlField(xml, 'consumedCount')) };
}

test('two batches of one client queued at once both complete, applied in submission order', async () => {
  const first = await curlBatch(server, '/m2/demo/v2/profile/batchUpdate', batchFile(rows(40_000, 'first', 'same')));
  const second = await curlBatch(server, '/m2/demo/v2/profile/batchUpdate', batchFile(rows(40_000, 'second', 'same')));
  const firstId = batchIdOf(first.body);
  const secondId = batchIdOf(second.body);
  assert.equal((await detailed('demo', firstId, server.demoToken)).status, 'incomplete', 'precondition: both batches are queued together');
  let secondStartedBeforeFirstDone = false;
  for (;;) {
    const [a, b] = await Promise.all([detailed('demo', firstId, server.demoToken), detailed('demo', secondId, server.demoToken)]);
    if (b.consumed > 0 && a.status !== 'complete') secondStartedBeforeFirstDone = true;
    if (a.status !== 'incomplete' && b.status !== 'incomplete') break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(secondStartedBeforeFirstDone, false);
  assert.equal(xmlField(await waitForBatch(server, 'demo', firstId), 'successfulUpdates'), '40000');
  assert.equal(xmlField(await waitForBatch(server, 'demo', secondId), 'successfulUpdates'), '40000');
  // The later submission's values win everywhere.
  for (const i of [0, 19_999, 39_999]) {
    assert.deepEqual(await profileValues(server, `/rest/v1/profiles/same-${i}?client=demo`), { color: 'second', n: String(i) });
  }
});

test('batches of two clients run side by side and never touch each other’s profiles', async () => {
  const [demo, other] = await Promise.all([
    curlBatch(server, '/m2/demo/v2/profile/batchUpdate', batchFile(rows(50_000, 'demo-value', 'shared'))),
    curlBatch(server, '/m2/other/v2/profile/batchUpdate', batchFile(rows(50_000, 'other-value', 'shared')), { token: otherToken }),
  ]);
  const demoId = batchIdOf(demo.body);
  const otherId = batchIdOf(other.body);
  assert.match(otherId, /^other-\d{13}-\d{8}$/);
  let interleaved = false;
  for (;;) {
    const [a, b] = await Promise.all([detailed('demo', demoId, server.demoToken), detailed('other', otherId, otherToken)]);
    // Both make progress at the same time: neither waits for the other client's batch to finish.
    if (a.consumed > 0 && b.consumed > 0 && a.status === 'incomplete' && b.status === 'incomplete') interleaved = true;
    if (a.status !== 'incomplete' && b.status !== 'incomplete') break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(interleaved, true);
  assert.deepEqual(await profileValues(server, '/rest/v1/profiles/shared-7?client=demo'), { color: 'demo-value', n: '7' });
  assert.deepEqual(await profileValues(server, '/rest/v1/profiles/shared-7?client=other', otherToken), { color: 'other-value', n: '7' });
});

test('single updates keep answering, in between chunks, while a large batch is applied', async () => {
  // The single update API is update-only: the profile it touches exists before the batch starts.
  await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: 'busy-0', attributes: { live: 'start' } });
  const answer = await curlBatch(server, '/m2/demo/v2/profile/batchUpdate', batchFile(rows(40_000, 'bulk', 'busy')));
  const batchId = batchIdOf(answer.body);
  let calls = 0;
  while ((await detailed('demo', batchId, server.demoToken)).status === 'incomplete') {
    const update = await server.fetch('/m2/demo/profile/update?mboxPC=busy-0&profile.live=' + calls, {
      method: 'POST',
      headers: bearer(server.demoToken),
    });
    assert.equal(update.status, 200);
    calls++;
  }
  // Applying the batch in one go would leave no room for updates in between. How long traffic
  // waits is a performance figure: bench/bulk.bench.ts measures it, tests do not time it.
  assert.ok(calls > 3, `only ${calls} updates ran during the batch`);
  assert.equal((await profileValues(server, '/rest/v1/profiles/busy-0?client=demo'))!.live, String(calls - 1));
});
