import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { postFile, xmlField } from '../bench/support/bulk-server.js';
import { secretFromDataDir } from '../src/cli/remote.js';
import { type ServerProcess, spawnServer } from './support/process.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';
import { tempDir } from './support/server.js';

/**
 * Several profile-edge nodes on one PostgreSQL, as real processes: a batch is worked on by one
 * node at a time (lease), a node killed mid-batch has its batch finished by another with exact
 * counters, and the same first login arriving at two nodes ends on one profile.
 */
const ADMIN_KEY = 'scale-out-admin-key-0123456789abcdef';
const ROWS = 60_000;

let postgres: TestPostgres;
const work = tempDir('profile-edge-scale-');
before(async () => {
  postgres = await startPostgres();
});
after(async () => {
  await postgres.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

interface Node {
  server: ServerProcess;
  dataDir: string;
}

let nodes = 0;
async function startNode(databaseUrl: string, env: Record<string, string> = {}): Promise<Node> {
  const dataDir = path.join(work, `node-${++nodes}`);
  fs.mkdirSync(dataDir);
  const server = await spawnServer(dataDir, {
    PROFILE_EDGE_DATABASE_URL: databaseUrl,
    PROFILE_EDGE_ADMIN_KEY: ADMIN_KEY,
    PROFILE_EDGE_BATCH_LEASE_SECONDS: '2',
    PROFILE_EDGE_LOG_LEVEL: 'info', // spawnServer reads the listening address from the log
    ...env,
  });
  return { server, dataDir };
}

async function stopNode(node: Node, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (node.server.child.exitCode === null && node.server.child.signalCode === null) node.server.child.kill(signal);
  await node.server.exited;
}

function writeBatch(file: string): void {
  const lines = ['batch=pcId,color,n,note'];
  for (let i = 0; i < ROWS; i++) {
    if (i % 9_973 === 17) lines.push(`so-${i},%FF,${i}`);
    else if (i % 4_999 === 3) lines.push(`so-${i % 1000},dup,${i},again`);
    else lines.push(`so-${i},c${i % 7},${i},a%26b%2C${i}`);
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

async function status(url: string, token: string, batchId: string): Promise<string> {
  const response = await fetch(`${url}/m2/demo/profile/batchStatus?batchId=${batchId}&showDetails=true`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return response.text();
}

async function submit(url: string, token: string, file: string): Promise<string> {
  const answer = await postFile(`${url}/m2/demo/v2/profile/batchUpdate`, file, { authorization: `Bearer ${token}` });
  assert.equal(answer.status, 200, answer.body);
  return new URL(xmlField(answer.body, 'batchStatus')!).searchParams.get('batchId')!;
}

async function query<T extends pg.QueryResultRow>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** What a batch leaves behind: every id's attribute values, the counters, the failed rows. */
async function endState(databaseUrl: string, batchId: string) {
  const rows = await query<{ id: string; attributes: string }>(
    databaseUrl,
    `SELECT i.id_value AS id, p.attributes FROM profile_ids i JOIN profiles p ON p.client = i.client AND p.profile_key = i.profile_key
      WHERE i.client = 'demo' ORDER BY i.id_value`,
  );
  // Values only: modifiedAt stamps are the wall-clock time of each chunk.
  const profiles = new Map(rows.map((row) => [row.id, JSON.stringify((JSON.parse(row.attributes) as string[][]).map(([n, v]) => [n, v]))]));
  const [counters] = await query(
    databaseUrl,
    'SELECT batch_size, consumed_count, successful_updates, profiles_not_found, failed_updates, status FROM batches WHERE batch_id = $1',
    [batchId],
  );
  const failures = await query(databaseUrl, 'SELECT line, profile_key, reason FROM batch_failures WHERE batch_id = $1 ORDER BY line', [
    batchId,
  ]);
  const bodyPieces = await query(databaseUrl, 'SELECT piece FROM batch_bodies WHERE batch_id = $1', [batchId]);
  return { profiles, counters, failures, bodyPieces: bodyPieces.length };
}

describe('several nodes on one PostgreSQL', () => {
  test('a node killed with SIGKILL mid-batch: another node takes the lease over and finishes it with the exact counters of an uninterrupted run', async () => {
    const file = path.join(work, 'batch.txt');
    writeBatch(file);
    const databaseUrl = await postgres.createDatabase();
    const a = await startNode(databaseUrl);
    const b = await startNode(databaseUrl);
    const token = secretFromDataDir(a.dataDir, 'DEMO_TOKEN')!;
    try {
      const batchId = await submit(a.server.url, token, file);
      // Watch who holds the lease while A works: only A, never both.
      const owners: string[] = [];
      for (;;) {
        const xml = await status(b.server.url, token, batchId); // any node answers for any batch
        assert.equal(xmlField(xml, 'status'), 'incomplete', 'the batch finished before the kill: make it larger');
        const [lease] = await query<{ lease_owner: string | null }>(databaseUrl, 'SELECT lease_owner FROM batches WHERE batch_id = $1', [
          batchId,
        ]);
        if (lease?.lease_owner) owners.push(lease.lease_owner);
        if (Number(xmlField(xml, 'consumedCount')) >= 3000) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await stopNode(a, 'SIGKILL');
      assert.equal(new Set(owners).size, 1, 'one process held the batch while the other was idle');

      let done = '';
      for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
        done = await status(b.server.url, token, batchId);
        if (xmlField(done, 'status') !== 'incomplete') break;
        const [lease] = await query<{ lease_owner: string | null }>(databaseUrl, 'SELECT lease_owner FROM batches WHERE batch_id = $1', [
          batchId,
        ]);
        if (lease?.lease_owner) owners.push(lease.lease_owner);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(xmlField(done, 'status'), 'complete');
      assert.equal(new Set(owners).size, 2, 'the surviving node took the lease over');

      // The same batch on a fresh database and a single node, never interrupted.
      const cleanUrl = await postgres.createDatabase();
      const clean = await startNode(cleanUrl);
      const cleanToken = secretFromDataDir(clean.dataDir, 'DEMO_TOKEN')!;
      const cleanBatchId = await submit(clean.server.url, cleanToken, file);
      let uninterrupted = '';
      do {
        await new Promise((resolve) => setTimeout(resolve, 100));
        uninterrupted = await status(clean.server.url, cleanToken, cleanBatchId);
      } while (xmlField(uninterrupted, 'status') === 'incomplete');
      await stopNode(clean);

      const strip = (xml: string) => xml.replace(/<batchId>[^<]*<\/batchId>/, '').replace(/<failureReport>[^<]*<\/failureReport>/, '');
      assert.equal(strip(done), strip(uninterrupted));
      assert.equal(xmlField(done, 'consumedCount'), String(ROWS));
      const taken = await endState(databaseUrl, batchId);
      const reference = await endState(cleanUrl, cleanBatchId);
      assert.deepEqual(taken.counters, reference.counters);
      assert.deepEqual(taken.failures, reference.failures);
      assert.ok(taken.failures.length > 5);
      assert.equal(taken.profiles.size, reference.profiles.size);
      assert.deepEqual(taken.profiles, reference.profiles);
      assert.equal(taken.bodyPieces, 0, 'the finished batch body was removed from the database');
    } finally {
      await stopNode(a, 'SIGKILL');
      await stopNode(b);
    }
  });

  test('the same first logins arriving at two nodes at once merge into one profile with nothing lost', async () => {
    const databaseUrl = await postgres.createDatabase();
    const a = await startNode(databaseUrl);
    const b = await startNode(databaseUrl);
    try {
      const tabs = 150;
      const call = (i: number, id: Record<string, string>, parameters: Record<string, string>) =>
        fetch(`${(i % 2 === 0 ? a : b).server.url}/rest/v1/delivery?client=demo&sessionId=x-${i}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ context: { channel: 'web' }, id, execute: { pageLoad: { profileParameters: parameters } } }),
        }).then(async (r) => {
          await r.text();
          return r.status;
        });
      const anonymous = await Promise.all(Array.from({ length: tabs }, (_, i) => call(i, { tntId: `xp-${i}` }, { [`anon${i}`]: 'kept' })));
      assert.deepEqual(new Set(anonymous), new Set([200]));
      const logins = await Promise.all(
        Array.from({ length: tabs }, (_, i) => call(i, { tntId: `xp-${i}`, thirdPartyId: 'xp-person' }, { [`login${i}`]: 'yes' })),
      );
      assert.deepEqual(new Set(logins), new Set([200]));

      const keys = await query<{ profile_key: string }>(
        databaseUrl,
        "SELECT DISTINCT profile_key FROM profile_ids WHERE client = 'demo' AND id_value LIKE 'xp-%'",
      );
      assert.equal(keys.length, 1, 'every tntId and the thirdPartyId lead to one profile');
      const [profile] = await query<{ attributes: string }>(
        databaseUrl,
        "SELECT attributes FROM profiles WHERE client = 'demo' AND profile_key = $1",
        [keys[0]!.profile_key],
      );
      const names = new Set((JSON.parse(profile!.attributes) as string[][]).map(([name]) => name));
      for (let i = 0; i < tabs; i++) {
        assert.ok(names.has(`anon${i}`) && names.has(`login${i}`), `tab ${i} kept both its anonymous and its login data`);
      }
      const [{ n }] = (await query<{ n: string }>(databaseUrl, "SELECT count(*) AS n FROM profiles WHERE client = 'demo'")) as [
        { n: string },
      ];
      assert.equal(Number(n), 1, 'the anonymous profiles were merged away');
    } finally {
      await stopNode(a);
      await stopNode(b);
    }
  });

  test('serve --workers 2 on PostgreSQL: a batch and delivery calls spread over the workers all land', async () => {
    const databaseUrl = await postgres.createDatabase();
    const node = await startNode(databaseUrl, { PROFILE_EDGE_WORKERS: '2' });
    const token = secretFromDataDir(node.dataDir, 'DEMO_TOKEN')!;
    try {
      const file = path.join(work, 'workers.txt');
      fs.writeFileSync(file, `batch=thirdPartyId,tier\n${Array.from({ length: 500 }, (_, i) => `w-${i},gold${i}`).join('\n')}\n`);
      const batchId = await submit(node.server.url, token, file);
      let xml = '';
      do {
        await new Promise((resolve) => setTimeout(resolve, 100));
        xml = await status(node.server.url, token, batchId);
      } while (xmlField(xml, 'status') === 'incomplete');
      assert.equal(xmlField(xml, 'successfulUpdates'), '500');
      const visits = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          fetch(`${node.server.url}/rest/v1/delivery?client=demo&sessionId=w-${i}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              context: { channel: 'web' },
              id: { tntId: `wd-${i}`, thirdPartyId: `w-${i}` },
              execute: { pageLoad: { profileParameters: { seen: 'yes' } } },
            }),
          }).then((r) => r.json() as Promise<{ status: number }>),
        ),
      );
      assert.ok(visits.every((v) => v.status === 200));
      const profile = (await (
        await fetch(`${node.server.url}/rest/v1/profiles/wd-7?client=demo`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as {
        profileAttributes: Record<string, { value: string }>;
      };
      assert.equal(profile.profileAttributes.tier?.value, 'gold7', 'the visit linked the device to the profile the batch wrote');
      assert.equal(profile.profileAttributes.seen?.value, 'yes');
    } finally {
      await stopNode(node);
    }
  });
});
