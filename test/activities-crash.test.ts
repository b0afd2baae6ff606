import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { secretFromDataDir } from '../src/cli/remote.js';
import { type ChildServer, startChildServer } from './support/child-server.js';
import { tempDir } from './support/server.js';

/**
 * Counting survives a kill: display notifications sent to a server killed with SIGKILL in the
 * middle of them. Every notification acknowledged before the kill is counted after the restart,
 * and sending all of them again (as Adobe's SDK does with those it saw fail) ends with each one
 * counted exactly once.
 */
const NOTIFICATIONS = 600;
const CONCURRENCY = 16;

const ACTIVITY = {
  name: 'Crash test',
  type: 'ab',
  state: 'live',
  priority: 0,
  experiences: [
    { id: 'A', allocation: 50, offers: { promo: { type: 'html', content: 'A' } } },
    { id: 'B', allocation: 50, offers: { promo: { type: 'html', content: 'B' } } },
  ],
  metrics: [],
};

async function adminCall(server: ChildServer, adminKey: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function notify(server: ChildServer, i: number, token: string): Promise<Response> {
  return fetch(`${server.url}/rest/v1/delivery?client=demo&sessionId=crash-${i}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      context: { channel: 'web' },
      id: { tntId: `crash-visitor-${i}` },
      notifications: [{ id: `crash-notification-${i}`, type: 'display', timestamp: Date.now(), mbox: { name: 'promo' }, tokens: [token] }],
    }),
  });
}

async function impressions(server: ChildServer, adminKey: string): Promise<{ impressions: number; visitors: number }> {
  const response = await adminCall(server, adminKey, 'GET', '/admin/v1/clients/demo/activities/crash/report');
  assert.equal(response.status, 200);
  const document = (await response.json()) as { experiences: Array<{ id: string; impressions: number; visitors: number }> };
  const a = document.experiences.find((experience) => experience.id === 'A')!;
  return { impressions: a.impressions, visitors: a.visitors };
}

test('notifications acknowledged before a SIGKILL are all counted, and a full replay counts each exactly once', async () => {
  const dataDir = tempDir('profile-edge-count-crash-');
  let server = await startChildServer(dataDir);
  try {
    const adminKey = secretFromDataDir(dataDir, 'ADMIN_KEY')!;
    assert.equal((await adminCall(server, adminKey, 'PUT', '/admin/v1/clients/demo/activities/crash', ACTIVITY)).status, 201);
    // The display token of experience A, from a prefetch of a visitor allocated to it.
    let token: string | undefined;
    for (let i = 0; !token; i += 1) {
      const response = await fetch(`${server.url}/rest/v1/delivery?client=demo&sessionId=probe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          context: { channel: 'web' },
          id: { tntId: `probe-${i}` },
          prefetch: { mboxes: [{ index: 0, name: 'promo' }] },
        }),
      });
      const [option] = (
        (await response.json()) as { prefetch: { mboxes: Array<{ options: Array<{ content: string; eventToken: string }> }> } }
      ).prefetch.mboxes[0]!.options;
      if (option!.content === 'A') token = option!.eventToken;
    }

    let acknowledged = 0;
    let next = 0;
    const victim = server;
    const senders = Array.from({ length: CONCURRENCY }, async () => {
      while (next < NOTIFICATIONS) {
        const i = next++;
        try {
          const response = await notify(victim, i, token!);
          if (response.ok) acknowledged += 1;
          if (acknowledged === NOTIFICATIONS / 2) victim.process.kill('SIGKILL');
        } catch {
          // the server is gone: the rest are lost on the wire, not acknowledged
        }
      }
    });
    await Promise.all(senders);
    await victim.stop();
    assert.ok(acknowledged >= NOTIFICATIONS / 2 && acknowledged < NOTIFICATIONS, `killed midway: ${acknowledged} acknowledged`);

    const restarted = await startChildServer(dataDir);
    server = restarted;
    const afterKill = await impressions(server, adminKey);
    assert.ok(afterKill.impressions >= acknowledged, `${afterKill.impressions} counted, ${acknowledged} acknowledged`);
    assert.ok(afterKill.impressions <= NOTIFICATIONS);

    for (let i = 0; i < NOTIFICATIONS; i += CONCURRENCY) {
      const batch: Array<Promise<Response>> = [];
      for (let j = i; j < Math.min(i + CONCURRENCY, NOTIFICATIONS); j += 1) batch.push(notify(restarted, j, token!));
      for (const response of await Promise.all(batch)) assert.equal(response.status, 200);
    }
    assert.deepEqual(await impressions(server, adminKey), { impressions: NOTIFICATIONS, visitors: NOTIFICATIONS });
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
