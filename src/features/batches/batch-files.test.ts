import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { BatchFiles } from './batch-files.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-batch-files-'));
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

test('clean-up candidates are only files nobody wrote for the orphan age: a sibling process may still be writing a younger one', async () => {
  // What a worker restarted by the primary would find: another worker's upload in flight, and a
  // body it has just renamed but not yet recorded. Removing either would lose an upload that is
  // about to be acknowledged.
  const files = new BatchFiles(dataDir, 120_000);
  const inFlight = await files.create('demo-1-00000001');
  await inFlight.write(Buffer.from('batch=pcId,a\nx,1\n'));
  const renamed = await files.create('demo-1-00000002');
  await renamed.write(Buffer.from('batch=pcId,a\nx,1\n'));
  await renamed.commit();
  assert.deepEqual(await files.list(), []);

  // The same files, untouched for longer than the orphan age: leftovers of a crash.
  const old = new Date(Date.now() - 121_000);
  for (const name of fs.readdirSync(files.dir)) fs.utimesSync(path.join(files.dir, name), old, old);
  assert.deepEqual(
    (await files.list()).sort((a, b) => a.file.localeCompare(b.file)),
    [
      { file: 'demo-1-00000001.upload', batchId: 'demo-1-00000001', partial: true },
      { file: 'demo-1-00000002.batch', batchId: 'demo-1-00000002', partial: false },
    ],
  );
  await inFlight.discard();
  assert.deepEqual(
    (await new BatchFiles(dataDir).list()).map((found) => found.file),
    ['demo-1-00000002.batch'],
    'without an orphan age (one process, tests), every file counts',
  );
});
