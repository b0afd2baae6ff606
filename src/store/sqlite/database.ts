import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations/index.js';

export type SqliteDatabase = Database.Database;

export interface OpenOptions {
  /** Directory holding profile-edge.db; created when missing. `:memory:` is not supported: tests use temp dirs. */
  dataDir: string;
  synchronous: 'NORMAL' | 'FULL';
}

export const DATABASE_FILE = 'profile-edge.db';

/**
 * Opens the embedded database in WAL mode and brings its schema up to date. WAL lets readers run
 * beside the single writer; `busy_timeout` makes a second process wait for the write lock
 * instead of failing.
 */
export function openSqlite({ dataDir, synchronous }: OpenOptions): SqliteDatabase {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(path.join(dataDir, DATABASE_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  // Deleted rows are overwritten with zeros, so that a privacy erasure (or the lifetime sweep)
  // leaves no copy of the person in the database file's free space (docs/security.md).
  db.pragma('secure_delete = ON');
  migrate(db);
  return db;
}

export function migrate(db: SqliteDatabase): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    }).immediate();
  }
}
