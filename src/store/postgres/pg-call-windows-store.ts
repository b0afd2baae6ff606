import type { CallWindowsStore } from '../../features/batches/call-windows-store.js';
import { inTransaction, type PgPool } from './database.js';

/**
 * One transaction per call, serialised per client by a lock on the client's row: the second of
 * two concurrent takes waits, then reads the window with the first one's row committed (READ
 * COMMITTED takes a fresh snapshot per statement), so no two processes both fill the last place.
 *
 * Why the row lock rather than `pg_advisory_xact_lock(hashtext(client))`: advisory locks live on
 * the PostgreSQL node that runs the transaction (with several Citus coordinators they would only
 * queue the calls made through the same one), and hashed keys can collide with other clients or
 * other advisory-lock users. The client row exists (calls are counted after authentication) and
 * its lock is visible to every node. `FOR NO KEY UPDATE` rather than `FOR UPDATE`: it does not
 * block inserts of rows that reference the client (foreign-key checks take `FOR KEY SHARE`), e.g.
 * a token being issued meanwhile.
 */
export class PgCallWindowsStore implements CallWindowsStore {
  constructor(private readonly pool: PgPool) {}

  async take(client: string, now: number, windowMs: number, limit: number): Promise<number | null> {
    return inTransaction(this.pool, async (db) => {
      const locked = await db.query('SELECT 1 FROM clients WHERE code = $1 FOR NO KEY UPDATE', [client]);
      if (locked.rowCount === 0) throw new Error(`Bulk calls of unknown client ${client}: nothing to serialise them on`);
      await db.query('DELETE FROM bulk_calls WHERE client = $1 AND at <= $2', [client, now - windowMs]);
      const { rows } = await db.query<{ calls: number; oldest: number | null }>(
        'SELECT count(*)::int AS calls, min(at) AS oldest FROM bulk_calls WHERE client = $1',
        [client],
      );
      const { calls, oldest } = rows[0]!;
      if (calls >= limit) return oldest;
      await db.query('INSERT INTO bulk_calls (client, at) VALUES ($1, $2)', [client, now]);
      return null;
    });
  }
}
