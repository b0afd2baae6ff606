import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { openSqlite, type SqliteDatabase } from './database.js';
import { GroupCommit } from './group-commit.js';

let dataDir: string;
let db: SqliteDatabase;
let commits: GroupCommit;

before(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-group-commit-'));
  db = openSqlite({ dataDir, synchronous: 'NORMAL' });
  db.exec(`
    CREATE TABLE visits (visitor TEXT NOT NULL, n INTEGER NOT NULL);
    CREATE TABLE owners (id TEXT PRIMARY KEY);
    CREATE TABLE pets (owner TEXT REFERENCES owners(id) DEFERRABLE INITIALLY DEFERRED);
  `);
  commits = new GroupCommit(db);
});
after(() => {
  db.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});
beforeEach(() => db.exec('DELETE FROM visits; DELETE FROM pets; DELETE FROM owners;'));

const insertVisit = (visitor: string, n: number) => () => {
  db.prepare('INSERT INTO visits (visitor, n) VALUES (?, ?)').run(visitor, n);
  return n;
};
const visits = () => db.prepare('SELECT visitor, n FROM visits ORDER BY rowid').all();

test('writes requested together are applied in order, each answered with its own result', async () => {
  const results = await Promise.all([1, 2, 3].map((n) => commits.run(insertVisit('ada', n))));
  assert.deepEqual(results, [1, 2, 3]);
  assert.deepEqual(visits(), [
    { visitor: 'ada', n: 1 },
    { visitor: 'ada', n: 2 },
    { visitor: 'ada', n: 3 },
  ]);
});

test('a write that fails is rolled back alone; the writes around it still commit', async () => {
  const first = commits.run(insertVisit('ada', 1));
  const failing = commits.run(() => {
    insertVisit('bob', 2)();
    throw new Error('profile too large');
  });
  const third = commits.run(insertVisit('cy', 3));
  assert.equal(await first, 1);
  await assert.rejects(failing, /profile too large/);
  assert.equal(await third, 3);
  assert.deepEqual(visits(), [
    { visitor: 'ada', n: 1 },
    { visitor: 'cy', n: 3 },
  ]);
});

test('when the COMMIT itself fails, every write of the group fails and none is kept', async () => {
  // A deferred foreign key is only checked at COMMIT: the group's commit is refused.
  const orphan = commits.run(() => db.prepare("INSERT INTO pets (owner) VALUES ('nobody')").run().changes);
  const innocent = commits.run(insertVisit('ada', 1));
  await assert.rejects(orphan, /FOREIGN KEY/);
  await assert.rejects(innocent, /FOREIGN KEY/);
  assert.deepEqual(visits(), []);
  assert.equal(db.inTransaction, false);

  // And the next group is not affected.
  assert.equal(await commits.run(insertVisit('ada', 2)), 2);
});

test('nobody is answered before the write is committed', async () => {
  let seenInTransaction: boolean | undefined;
  await commits.run(() => {
    seenInTransaction = db.inTransaction;
  });
  assert.equal(seenInTransaction, true);
  assert.equal(db.inTransaction, false, 'committed by the time the promise settles');
});

test('a full disk that makes SQLite roll the whole transaction back fails every write of the group, none half-kept', async () => {
  // SQLite's own SQLITE_FULL, without filling a real disk: the file may not grow past its pages now.
  const pages = db.pragma('page_count', { simple: true }) as number;
  const big = 'x'.repeat(64 * 1024);
  db.pragma(`max_page_count = ${pages + 2}`);
  try {
    const before = commits.run(insertVisit('ada', 1));
    const tooBig = commits.run(() => db.prepare('INSERT INTO visits (visitor, n) VALUES (?, ?)').run(big, 2).changes);
    const afterwards = commits.run(insertVisit('cy', 3));
    const outcomes = await Promise.allSettled([before, tooBig, afterwards]);
    assert.deepEqual(
      outcomes.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as { code?: string }).code : outcome.value)),
      ['SQLITE_FULL', 'SQLITE_FULL', 'SQLITE_FULL'],
    );
    assert.deepEqual(visits(), [], 'nothing answered as failed was kept');
    assert.equal(db.inTransaction, false);
  } finally {
    db.pragma('max_page_count = 4294967294');
  }
  assert.equal(await commits.run(insertVisit('ada', 4)), 4, 'space back: the next group commits');
});
