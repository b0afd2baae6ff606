import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openSqlite } from './database.js';
import { WalCheckpointer } from './wal-checkpointer.js';

test('the checkpointer copies the WAL back on its own thread; caughtUp() lets the next write restart the WAL', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-wal-'));
  const db = openSqlite({ dataDir: dir, synchronous: 'NORMAL' });
  const checkpointer = WalCheckpointer.start(db, {
    idleMs: 20,
    wakeEveryMs: 1,
    catchUpEveryMs: 1,
    safetyNetFrames: 1_000_000,
    maxWaitMs: 5000,
  });
  try {
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1_000_000, 'the main connection only keeps a safety net');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const writeSome = () =>
      db.transaction(() => {
        for (let i = 0; i < 2000; i++) insert.run('x'.repeat(200));
      })();
    for (let round = 0; round < 10; round++) {
      writeSome();
      checkpointer.wrote(10);
      await checkpointer.caughtUp();
    }
    // Ten rounds write ~1,000 pages and the main connection never checkpoints (its threshold is
    // far away): only the worker copied them back, and after each catch-up the next write started
    // the WAL file over instead of growing it (the file never shrinks, so its size is its peak).
    const walBytes = fs.statSync(path.join(dir, 'profile-edge.db-wal')).size;
    assert.ok(walBytes < 400 * 4120, `the WAL kept growing: ${walBytes} bytes`);
    assert.equal((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 20_000);
  } finally {
    await checkpointer.stop();
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000, 'stop() restores the default');
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
