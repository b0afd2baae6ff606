import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { postFile, startServerProcess, type ServerProcess, xmlField } from '../bench/support/bulk-server.js';
import { tempDir } from './support/server.js';

const ROWS = 150_000;

/** A batch with failing rows spread through it, so that the failure report is compared too. */
function writeCrashBatch(file: string): void {
  const lines = ['batch=pcId,color,n,note'];
  for (let i = 0; i < ROWS; i++) {
    if (i % 9_973 === 17) lines.push(`crash-${i},%FF,${i}`);
    else if (i % 4_999 === 3) lines.push(`crash-${i % 1000},dup,${i},again`);
    else lines.push(`crash-${i},c${i % 7},${i},a%26b%2C${i}`);
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

async function submit(server: ServerProcess, file: string): Promise<string> {
  const answer = await postFile(`${server.url}/m2/demo/v2/profile/batchUpdate`, file, { authorization: `Bearer ${server.demoToken}` });
  assert.equal(answer.status, 200, answer.body);
  return new URL(xmlField(answer.body, 'batchStatus')!).searchParams.get('batchId')!;
}

async function status(server: ServerProcess, batchId: string): Promise<string> {
  const response = await fetch(`${server.url}/m2/demo/profile/batchStatus?batchId=${batchId}&showDetails=true`, {
    headers: { authorization: `Bearer ${server.demoToken}` },
  });
  return response.text();
}

async function untilComplete(server: ServerProcess, batchId: string): Promise<string> {
  for (;;) {
    const xml = await status(server, batchId);
    if (xmlField(xml, 'status') !== 'incomplete') return xml;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Everything a batch leaves behind, from the database file: every id's attribute values, the counters, the failed rows. */
function endState(dataDir: string, batchId: string) {
  const db = new Database(path.join(dataDir, 'profile-edge.db'), { readonly: true });
  try {
    const profiles = new Map<string, string>();
    const rows = db
      .prepare(
        `SELECT i.id_value AS id, p.attributes AS attributes FROM profile_ids i
           JOIN profiles p ON p.client = i.client AND p.profile_key = i.profile_key WHERE i.client = 'demo' ORDER BY i.id_value`,
      )
      .all() as Array<{ id: string; attributes: string }>;
    // Values only: modifiedAt stamps are the wall-clock time of each chunk and differ between runs.
    for (const row of rows)
      profiles.set(row.id, JSON.stringify((JSON.parse(row.attributes) as Array<[string, string]>).map(([n, v]) => [n, v])));
    const counters = db
      .prepare(
        'SELECT batch_size, consumed_count, successful_updates, profiles_not_found, failed_updates, status FROM batches WHERE batch_id = ?',
      )
      .get(batchId);
    const failures = db.prepare('SELECT line, profile_key, reason FROM batch_failures WHERE batch_id = ? ORDER BY line').all(batchId);
    return { profiles, counters, failures };
  } finally {
    db.close();
  }
}

test('a server killed with SIGKILL in the middle of a batch finishes it on restart with exactly the state and counters of an uninterrupted run', async () => {
  const work = tempDir('profile-edge-crash-');
  const file = path.join(work, 'batch.txt');
  writeCrashBatch(file);
  const crashedDir = path.join(work, 'crashed');
  const cleanDir = path.join(work, 'clean');
  try {
    // Run 1: killed mid-processing, then restarted on the same data directory.
    let server = await startServerProcess(crashedDir);
    const batchId = await submit(server, file);
    let consumedAtKill = 0;
    for (;;) {
      const xml = await status(server, batchId);
      consumedAtKill = Number(xmlField(xml, 'consumedCount'));
      assert.equal(xmlField(xml, 'status'), 'incomplete', 'the batch finished before the kill: make it larger');
      if (consumedAtKill > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
    await server.stop('SIGKILL');
    assert.ok(consumedAtKill < ROWS);

    server = await startServerProcess(crashedDir);
    const afterRestart = await untilComplete(server, batchId);
    await server.stop();

    // Run 2: the same batch on a fresh server, never interrupted.
    const clean = await startServerProcess(cleanDir);
    const cleanBatchId = await submit(clean, file);
    const uninterrupted = await untilComplete(clean, cleanBatchId);
    await clean.stop();

    const strip = (xml: string) => xml.replace(/<batchId>[^<]*<\/batchId>/, '').replace(/<failureReport>[^<]*<\/failureReport>/, '');
    assert.equal(strip(afterRestart), strip(uninterrupted));
    assert.equal(xmlField(afterRestart, 'status'), 'complete');
    assert.equal(xmlField(afterRestart, 'consumedCount'), String(ROWS));

    const crashed = endState(crashedDir, batchId);
    const reference = endState(cleanDir, cleanBatchId);
    assert.deepEqual(crashed.counters, reference.counters);
    assert.deepEqual(crashed.failures, reference.failures);
    assert.ok(crashed.failures.length > 10);
    assert.equal(crashed.profiles.size, reference.profiles.size);
    assert.deepEqual(crashed.profiles, reference.profiles);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
