import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { decodeCounted } from '../../counted-rows.js';
import { migrate } from '../database.js';
import { MIGRATIONS } from './index.js';

/** A database at schema 9 (per-visitor counter rows), with counts in it, brought to the current schema. */
test('migration 11 carries per-visitor counter rows over into totals and each profile’s counted triples', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-migration-'));
  const db = new Database(path.join(dir, 'profile-edge.db'));
  try {
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const migration of MIGRATIONS.filter((m) => m.version <= 9)) {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(migration.version, migration.name, 0);
    }
    const profile = db.prepare(
      "INSERT INTO profiles (client, profile_key, attributes, created_at, modified_at, expires_at) VALUES ('demo', ?, '{}', 0, 0, 1)",
    );
    for (const key of ['k1', 'k2', 'k3']) profile.run(key);
    const impression = db.prepare("INSERT INTO activity_impressions VALUES ('demo', ?, ?, ?, ?, 0)");
    impression.run('ab', 'A', 'k1', 3);
    impression.run('ab', 'A', 'k2', 1);
    impression.run('ab', 'B', 'k3', 2);
    impression.run('ab', 'B', 'gone', 5); // a profile deleted since: its counts stay in the totals
    db.prepare("INSERT INTO activity_conversions VALUES ('demo', 'ab', 'A', 'click', 'k1', 2, 0)").run();

    migrate(db);

    const totals = db.prepare('SELECT experience_id, metric, visitors, events FROM activity_totals ORDER BY experience_id, metric').all();
    assert.deepEqual(totals, [
      { experience_id: 'A', metric: '', visitors: 2, events: 4 },
      { experience_id: 'A', metric: 'click', visitors: 1, events: 2 },
      { experience_id: 'B', metric: '', visitors: 2, events: 7 },
    ]);
    const counted = (key: string) =>
      [...decodeCounted(db.prepare('SELECT counted FROM profiles WHERE profile_key = ?').pluck().get(key) as string | null)].sort();
    assert.deepEqual(counted('k1'), ['["ab","A",""]', '["ab","A","click"]']);
    assert.deepEqual(counted('k2'), ['["ab","A",""]']);
    assert.deepEqual(counted('k3'), ['["ab","B",""]']);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'activity_%'").pluck().all();
    assert.ok(!tables.includes('activity_impressions') && !tables.includes('activity_conversions'));
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
