/**
 * The bulk API rate limit's memory (BulkRateLimiter): each client's accepted calls of the last
 * window, kept in the database so that every process using it — `serve --workers N` on one SQLite
 * file, or any number of nodes on one PostgreSQL — counts against the same budget.
 */
export interface CallWindowsStore {
  /**
   * Atomically, across processes: when fewer than `limit` of the client's calls are in the window
   * (recorded at an instant after `now - windowMs`), records one at `now` and answers null;
   * otherwise records nothing and answers the instant of the oldest call still in the window.
   * Calls that left the window are forgotten on the way, so a client keeps at most `limit` rows.
   * `client` is an existing client's code (calls are counted after authentication); `limit` ≥ 1.
   */
  take(client: string, now: number, windowMs: number, limit: number): Promise<number | null>;
}
