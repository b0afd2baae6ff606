import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { DATABASE_FILE } from '../../src/store/sqlite/database.js';
import type { TestServer } from './server.js';

/**
 * Read-only access to the database a test server runs on, SQLite file or PostgreSQL, for tests
 * that look at what is stored rather than at what the API answers.
 */
export interface StoreInspector {
  /** Rows of a query written with `?` placeholders (numbered `$n` on PostgreSQL). */
  all(sql: string, ...params: unknown[]): Promise<Array<Record<string, unknown>>>;
  /**
   * Every row of every table as text, each table's rows sorted: the same text before and after
   * means nothing was stored, changed or removed.
   */
  snapshot(): Promise<string>;
  close(): Promise<void>;
}

const asText = (rows: readonly unknown[]): string[] =>
  rows.map((row) => JSON.stringify(row, (_key, value: unknown) => (Buffer.isBuffer(value) ? value.toString('hex') : value))).sort();

export async function inspectStore(server: TestServer): Promise<StoreInspector> {
  const databaseUrl = server.app.config.databaseUrl;
  if (databaseUrl) {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const all = async (sql: string, ...params: unknown[]) => {
      let n = 0;
      return (
        await db.query(
          sql.replace(/\?/g, () => `$${++n}`),
          params,
        )
      ).rows as Array<Record<string, unknown>>;
    };
    return {
      all,
      async snapshot() {
        const tables = await all(
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
        );
        const lines: string[] = [];
        for (const { name } of tables) lines.push(`${String(name)}=${asText(await all(`SELECT * FROM "${String(name)}"`)).join(',')}`);
        return lines.join('\n');
      },
      close: () => db.end(),
    };
  }
  const db = new Database(path.join(server.dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
  const all = async (sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as Array<Record<string, unknown>>;
  return {
    all,
    async snapshot() {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
      return tables.map((table) => `${table}=${asText(db.prepare(`SELECT * FROM "${table}"`).all()).join(',')}`).join('\n');
    },
    async close() {
      db.close();
    },
  };
}
