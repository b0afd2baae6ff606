import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { ConflictError, ServiceUnavailableError } from '../errors.js';
import { classifyDatabaseError, databaseErrorAsAppError, isTransientDatabaseError, isUniqueViolation } from './database-errors.js';
import { openPool } from './postgres/database.js';

// Real driver errors, not hand-made look-alikes: the mapping reads what the drivers really throw.
// PostgreSQL's own SQLSTATEs are read from a real server in test/postgres-outage.test.ts.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-dberrors-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  assert.fail('nothing was thrown');
}

test('SQLite: a taken unique or primary key is a conflict, answered 409 without SQL', () => {
  const db = new Database(path.join(dir, 'unique.db'));
  db.exec('CREATE TABLE clients (code TEXT PRIMARY KEY, ims_org_id TEXT UNIQUE)');
  db.prepare('INSERT INTO clients VALUES (?, ?)').run('a', 'ORG@AdobeOrg');
  const unique = thrown(() => db.prepare('INSERT INTO clients VALUES (?, ?)').run('b', 'ORG@AdobeOrg'));
  const primary = thrown(() => db.prepare('INSERT INTO clients VALUES (?, ?)').run('a', null));
  for (const error of [unique, primary]) {
    assert.ok(isUniqueViolation(error), String(error));
    const answer = databaseErrorAsAppError(error);
    assert.ok(answer instanceof ConflictError);
    assert.doesNotMatch(answer.message, /clients|ims_org_id|UNIQUE|SQLITE/);
  }
  const notNull = thrown(() => db.exec('CREATE TABLE t (x TEXT NOT NULL); INSERT INTO t VALUES (NULL)'));
  assert.equal(classifyDatabaseError(notNull), null, 'another constraint is a real fault');
  db.close();
});

test('SQLite: the write lock held by another connection past busy_timeout is a 503 with Retry-After 1', () => {
  const file = path.join(dir, 'busy.db');
  const holder = new Database(file);
  holder.pragma('journal_mode = WAL');
  holder.exec('CREATE TABLE t (x INTEGER)');
  const waiter = new Database(file);
  waiter.pragma('busy_timeout = 0');
  holder.exec('BEGIN IMMEDIATE');
  const busy = thrown(() => waiter.prepare('INSERT INTO t VALUES (1)').run());
  holder.exec('ROLLBACK');
  assert.ok(isTransientDatabaseError(busy), String(busy));
  const answer = databaseErrorAsAppError(busy);
  assert.ok(answer instanceof ServiceUnavailableError);
  assert.equal(answer.status, 503);
  assert.equal(answer.retryAfterSeconds, 1);
  assert.equal(answer.message, 'The database is busy; retry in 1 second');
  holder.close();
  waiter.close();
});

test('PostgreSQL out of reach: a refused connection and a server that never answers the connect are a 503 with Retry-After 5', async () => {
  // A port nothing listens on.
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const refused = new pg.Pool({ connectionString: `postgres://x@127.0.0.1:${port}/x` });
  const refusal = await refused.query('SELECT 1').catch((error: unknown) => error);
  await refused.end();
  // A server that accepts connections and never answers: the pool gives up after connectionTimeoutMillis.
  const silent = net.createServer(() => {}).listen(0, '127.0.0.1');
  await new Promise((resolve) => silent.once('listening', resolve));
  const { port: silentPort } = silent.address() as net.AddressInfo;
  const hung = openPool(`postgres://x@127.0.0.1:${silentPort}/x`, 1, { connectMs: 200, poolWaitMs: 60_000 });
  const started = Date.now();
  const timeout = await hung.query('SELECT 1').catch((error: unknown) => error);
  assert.ok(Date.now() - started < 5000, 'connecting has its own, short bound');
  await hung.end();
  silent.close();
  for (const error of [refusal, timeout]) {
    assert.ok(isTransientDatabaseError(error), String(error));
    const answer = databaseErrorAsAppError(error);
    assert.ok(answer instanceof ServiceUnavailableError, String(error));
    assert.equal(answer.retryAfterSeconds, 5);
    assert.equal(answer.message, 'The database is unavailable; retry in 5 seconds');
  }
});

test('errors that are not database failures are left to the 500 path', () => {
  for (const error of [
    new Error('boom'),
    new TypeError('x is undefined'),
    'a string',
    null,
    Object.assign(new Error('no such file'), { code: 'ENOENT' }),
  ]) {
    assert.equal(classifyDatabaseError(error), null, String(error));
    assert.equal(databaseErrorAsAppError(error), null);
    assert.equal(isTransientDatabaseError(error), false);
  }
});
