import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startBackgroundCheckpointer } from './background-checkpointer.js';
import { DATABASE_FILE, openSqlite } from './database.js';

async function eventually(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('committed pages reach the database file while the writing connection never checkpoints itself', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-ckpt-'));
  const file = path.join(dataDir, DATABASE_FILE);
  try {
    const db = openSqlite({ dataDir, synchronous: 'NORMAL' });
    db.pragma('wal_checkpoint(TRUNCATE)');
    const checkpointer = startBackgroundCheckpointer(db, { intervalMs: 10 });
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 16_384, 'the writer only checkpoints as a backstop');

    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO notes (body) VALUES (?)');
    const sizeBefore = fs.statSync(file).size;
    for (let i = 0; i < 300; i++) insert.run('x'.repeat(500));
    // ~150 KB of rows: far below the backstop, so only the worker can have copied them.
    await eventually(() => fs.statSync(file).size > sizeBefore + 100_000, 'the rows are in the database file');

    await checkpointer.stop();
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000, 'stopped: SQLite default again');
    db.close();
    assert.equal(fs.existsSync(`${file}-wal`), false, 'a clean close still removes the WAL');

    const reopened = openSqlite({ dataDir, synchronous: 'NORMAL' });
    assert.equal(reopened.prepare('SELECT count(*) FROM notes').pluck().get(), 300);
    reopened.close();
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('stopping twice is harmless, and the worker never holds the process open', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-ckpt-'));
  try {
    const db = openSqlite({ dataDir, synchronous: 'NORMAL' });
    const checkpointer = startBackgroundCheckpointer(db);
    await Promise.all([checkpointer.stop(), checkpointer.stop()]);
    db.close();
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
