import pg from 'pg';
import { PG_MIGRATIONS } from './migrations/index.js';

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

// int8 (BIGINT) columns hold epoch milliseconds: parse them as numbers, not strings.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/**
 * Past either bound a query fails with an error that src/store/database-errors.ts reads as
 * "database unavailable": a 503 with Retry-After, not a request left hanging.
 */
export interface PoolTimeouts {
  /** Opening one connection: a server cut off or hung does not refuse, it stays silent. */
  connectMs: number;
  /**
   * Waiting for a free pooled connection (pool exhausted). Long on purpose: under a burst of writes
   * to one hot profile, waits of tens of seconds are load, not an outage; this bound is for
   * connections stuck on a server that stopped answering.
   */
  poolWaitMs: number;
}

export const DEFAULT_POOL_TIMEOUTS: PoolTimeouts = { connectMs: 10_000, poolWaitMs: 60_000 };

export function openPool(connectionString: string, max = 20, timeouts: PoolTimeouts = DEFAULT_POOL_TIMEOUTS): PgPool {
  // pg-pool applies its one timeout to waiting and connecting alike: connecting gets its own, shorter.
  class BoundedConnectClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connectionTimeoutMillis: timeouts.connectMs });
    }
  }
  // TCP keepalive lets a connection that silently died (a dropped NAT entry) end, and be replaced.
  const pool = new pg.Pool({
    connectionString,
    max,
    keepAlive: true,
    connectionTimeoutMillis: timeouts.poolWaitMs,
    Client: BoundedConnectClient,
  });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  // Nor may that of a client checked out between two of its queries (the pool only listens to idle
  // ones): its next query fails as "not queryable" (a 503), and on release the pool drops it.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** Brings the schema up to date; an advisory lock lets several processes start at once. */
export async function migratePostgres(pool: PgPool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(7261001)');
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const migration of PG_MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(7261001)').catch(() => {});
    client.release();
  }
}

/** SQLSTATEs after which the whole transaction may simply be run again. */
const RETRYABLE = new Set(['40001', '40P01']);

/** Thrown inside a transaction to start it again (a concurrent writer won a race). */
export class RetryTransaction extends Error {}

/** Runs `work` in a transaction, retrying on serialization failures, deadlocks and RetryTransaction. */
export async function inTransaction<T>(pool: PgPool, work: (client: PgClient) => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      const code = (error as { code?: string }).code;
      const retry = error instanceof RetryTransaction || (code !== undefined && RETRYABLE.has(code));
      if (!retry || attempt >= attempts) throw error;
    } finally {
      client.release();
    }
  }
}
