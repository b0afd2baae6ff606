import pg from 'pg';
import type { PgClient } from './database.js';

/**
 * The channel on which every write to `clients` or `credentials` is announced (ADR 004), and every
 * write of activities (payload `activities:<client>`).
 */
export const AUTH_CHANGE_CHANNEL = 'profile_edge_auth';

/**
 * Announces a change to `clients` or `credentials`. Call it inside the writing transaction:
 * PostgreSQL delivers the notification at commit, and not at all on rollback. The payload is only
 * informative; listeners drop everything they hold.
 */
export async function notifyAuthChange(db: PgClient, what: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [AUTH_CHANGE_CHANNEL, what]);
}

export interface AuthChangeListenerOptions {
  /** First delay before reconnecting after a lost or failed connection; doubled up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/**
 * One dedicated connection per process (not from the pool: a pooled connection is handed to other
 * queries and its LISTEN would go with it) that listens for writes by any node to the client and
 * token tables and calls `onChange` for each.
 *
 * `onChange` gets each notification's payload; it is also called, with null, whenever the
 * connection is lost and whenever LISTEN succeeds (again), since notifications sent in between are
 * lost. `listening` is what the caches ask before trusting
 * themselves: while it is false they read through to the database. A lost connection is reopened
 * with exponential backoff until `stop()`.
 */
export class AuthChangeListener {
  private client: pg.Client | null = null;
  private isListening = false;
  private stopped = false;
  private retryDelayMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;

  private constructor(
    private readonly connectionString: string,
    private readonly onChange: (what: string | null) => void,
    options: AuthChangeListenerOptions,
  ) {
    this.retryMinMs = options.retryMinMs ?? 100;
    this.retryMaxMs = options.retryMaxMs ?? 5_000;
    this.retryDelayMs = this.retryMinMs;
  }

  /**
   * Starts listening. Resolves after the first attempt, successful or not (a failed one is
   * retried in the background), so a healthy start serves the first requests from the cache.
   */
  static async start(
    connectionString: string,
    onChange: (what: string | null) => void,
    options: AuthChangeListenerOptions = {},
  ): Promise<AuthChangeListener> {
    const listener = new AuthChangeListener(connectionString, onChange, options);
    await listener.connect();
    return listener;
  }

  get listening(): boolean {
    return this.isListening;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    this.isListening = false;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    // TCP keepalive lets a connection that silently died (a dropped NAT entry) end, and be reopened.
    const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true });
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel === AUTH_CHANGE_CHANNEL) this.onChange(message.payload ?? null);
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${AUTH_CHANGE_CHANNEL}`);
    } catch {
      this.lost(client);
      return;
    }
    if (this.client !== client) return; // lost or stopped meanwhile
    this.isListening = true;
    this.retryDelayMs = this.retryMinMs;
    this.onChange(null); // writes made before LISTEN took effect were not announced to us
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return; // already handled, or stopped
    this.client = null;
    this.isListening = false;
    this.onChange(null);
    client.end().catch(() => {});
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => void this.connect(), this.retryDelayMs);
    this.retryTimer.unref();
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.retryMaxMs);
  }
}
