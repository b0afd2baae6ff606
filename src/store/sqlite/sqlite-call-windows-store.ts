import type { CallWindowsStore } from '../../features/batches/call-windows-store.js';
import type { SqliteDatabase } from './database.js';

/**
 * Every `serve --workers N` process shares the file: `BEGIN IMMEDIATE` takes the write lock before
 * the window is read, so two processes never both see room for the last call.
 */
export class SqliteCallWindowsStore implements CallWindowsStore {
  private readonly takeInTransaction: { immediate: (client: string, now: number, windowMs: number, limit: number) => number | null };

  constructor(db: SqliteDatabase) {
    const forget = db.prepare('DELETE FROM bulk_calls WHERE client = ? AND at <= ?');
    const window = db.prepare<[string], { calls: number; oldest: number | null }>(
      'SELECT count(*) AS calls, min(at) AS oldest FROM bulk_calls WHERE client = ?',
    );
    const record = db.prepare('INSERT INTO bulk_calls (client, at) VALUES (?, ?)');
    this.takeInTransaction = db.transaction((client: string, now: number, windowMs: number, limit: number) => {
      forget.run(client, now - windowMs);
      const { calls, oldest } = window.get(client)!;
      if (calls >= limit) return oldest;
      record.run(client, now);
      return null;
    });
  }

  async take(client: string, now: number, windowMs: number, limit: number): Promise<number | null> {
    return this.takeInTransaction.immediate(client, now, windowMs, limit);
  }
}
