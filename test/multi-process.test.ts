import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { secretFromDataDir } from '../src/cli/remote.js';
import { spawnServer } from './support/process.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';
import { tempDir } from './support/server.js';

let postgres: TestPostgres;
const dirs: string[] = [];
before(async () => {
  postgres = await startPostgres();
});
after(async () => {
  await postgres.stop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function thousandAttributesAcrossWorkers(env: Record<string, string>) {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const server = await spawnServer(dataDir, { PROFILE_EDGE_WORKERS: '4', PROFILE_EDGE_LOG_LEVEL: 'info', ...env });
  try {
    const token = secretFromDataDir(dataDir, 'DEMO_TOKEN')!;
    const adminKey = secretFromDataDir(dataDir, 'ADMIN_KEY')!;
    // Wait until all four workers listen, so the load really is spread over processes.
    for (
      let i = 0;
      i < 200 && new Set([...server.output().matchAll(/"pid":(\d+)[^\n]*Server listening/g)].map((m) => m[1])).size < 4;
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const pids = new Set([...server.output().matchAll(/"pid":(\d+)[^\n]*Server listening/g)].map((m) => m[1]));
    assert.equal(pids.size, 4, 'four worker processes listen');
    const created = await fetch(`${server.url}/admin/v1/clients/demo/profiles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tntId: 'shared', attributes: {} }),
    });
    assert.equal(created.status, 201);
    const statuses = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const response = await fetch(`${server.url}/m2/demo/profile/update?mboxPC=shared&profile.a${i}=v${i}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        await response.text();
        return response.status;
      }),
    );
    assert.deepEqual(new Set(statuses), new Set([200]));
    const profile = (await (
      await fetch(`${server.url}/rest/v1/profiles/shared?client=demo`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      profileAttributes: Record<string, { value: string }>;
    };
    assert.equal(Object.keys(profile.profileAttributes).length, 1000, 'no update was lost');
    for (let i = 0; i < 1000; i++) assert.equal(profile.profileAttributes[`a${i}`]!.value, `v${i}`);
  } finally {
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, 'the primary stops its workers and exits cleanly');
  }
}

describe('several server processes on one database', () => {
  test('PostgreSQL: 4 workers writing 1,000 distinct attributes to one profile at once lose none', async () => {
    await thousandAttributesAcrossWorkers({ PROFILE_EDGE_DATABASE_URL: await postgres.createDatabase() });
  });

  test('SQLite: 4 workers sharing the embedded file lose none either', async () => {
    await thousandAttributesAcrossWorkers({});
  });
});
