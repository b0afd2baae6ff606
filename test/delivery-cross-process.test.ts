import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../src/store/sqlite/database.js';
import { attributesOf } from './support/delivery.js';
import { type ChildServer, startChildServer } from './support/child-server.js';
import { startTestServer, type TestServer } from './support/server.js';

/**
 * Two server processes on one data directory (a restart overlapping the old process, or several
 * workers): the same first login arriving at both at once must still end on one profile.
 */
let server: TestServer;
let other: ChildServer;
before(async () => {
  server = await startTestServer();
  other = await startChildServer(server.dataDir);
});
after(async () => {
  await other?.stop();
  await server?.dispose();
});

test('concurrent first logins spread over two processes merge into one profile with nothing lost', async () => {
  // Enough requests that the two processes' transactions really overlap (a deferred transaction fails this).
  const tabs = 150;
  const call = (i: number, id: Record<string, string>, parameters: Record<string, string>) =>
    fetch(`${i % 2 === 0 ? server.url : other.url}/rest/v1/delivery?client=demo&sessionId=x-${i}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ context: { channel: 'web' }, id, execute: { pageLoad: { profileParameters: parameters } } }),
    });

  const anonymous = await Promise.all(Array.from({ length: tabs }, (_, i) => call(i, { tntId: `xp-${i}` }, { [`anon${i}`]: 'kept' })));
  assert.ok(anonymous.every((r) => r.status === 200));
  const statuses = await Promise.all(
    Array.from({ length: tabs }, (_, i) =>
      call(i, { tntId: `xp-${i}`, thirdPartyId: 'xp-person' }, { [`login${i}`]: 'yes' }).then((r) => r.status),
    ),
  );
  assert.deepEqual(new Set(statuses), new Set([200]));

  const person = await attributesOf(server, 'thirdPartyId/xp-person');
  for (let i = 0; i < tabs; i++) {
    assert.equal(person?.[`anon${i}`], 'kept');
    assert.equal(person?.[`login${i}`], 'yes');
  }
  const db = new Database(path.join(server.dataDir, DATABASE_FILE), { readonly: true });
  try {
    const keys = db.prepare("SELECT DISTINCT profile_key FROM profile_ids WHERE client = 'demo' AND (id_value LIKE 'xp-%')").pluck().all();
    assert.equal(keys.length, 1, 'every tntId and the thirdPartyId lead to one profile');
  } finally {
    db.close();
  }
});
