import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, test } from 'node:test';
import { attributesOf, deliver } from './support/delivery.js';
import { admin, startTestServer, type TestServer, tempDir } from './support/server.js';

/**
 * A script disabled by one process is disabled for every process on the database, and after a
 * restart: two servers share one SQLite file as `serve --workers 2` processes do (each compares the
 * scripts' revision at most every 500 ms), and a third starts on the file afterwards.
 */
const dataDir = tempDir();
const servers: TestServer[] = [];
after(async () => {
  for (const server of servers) await server.dispose();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function visit(server: TestServer, session: string, boom: boolean): Promise<void> {
  const answer = await deliver(server, `client=demo&sessionId=${session}`, {
    context: { channel: 'web' },
    id: { tntId: 'worker-visitor' },
    execute: { mboxes: [{ index: 0, name: 'hero', ...(boom ? { parameters: { boom: 'yes' } } : {}) }] },
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
}

test('a script one worker saw run away is disabled for the other worker and stays disabled after a restart', async () => {
  const first = await startTestServer({ dataDir, config: { workers: 2 } });
  servers.push(first);
  const second = await startTestServer({ dataDir, config: { workers: 2, adminKey: first.adminKey } });
  servers.push(second);
  const put = await admin(first, 'PUT', '/admin/v1/clients/demo/profile-scripts/n', {
    source: "if (mbox.param('boom')) { for (;;) {} } return (Number(user.get('n')) || 0) + 1;",
  });
  assert.equal(put.status, 201, await put.text());

  await visit(first, 'w1', false);
  assert.equal((await attributesOf(first, 'worker-visitor'))?.['user.n'], '1', 'the first worker runs it (and keeps it compiled)');
  await visit(second, 'w2', true);
  const disabled = (await (await admin(first, 'GET', '/admin/v1/clients/demo/profile-scripts/n')).json()) as { disabledReason: string };
  assert.equal(disabled.disabledReason, 'budget');

  // Past the revision check interval, the first worker no longer runs it.
  await new Promise((resolve) => setTimeout(resolve, 700));
  await visit(first, 'w3', false);
  assert.equal((await attributesOf(first, 'worker-visitor'))?.['user.n'], '1');

  await first.dispose();
  await second.dispose();
  servers.length = 0;
  const restarted = await startTestServer({ dataDir });
  servers.push(restarted);
  await visit(restarted, 'w4', false);
  assert.equal((await attributesOf(restarted, 'worker-visitor'))?.['user.n'], '1', 'still disabled after a restart');
});
