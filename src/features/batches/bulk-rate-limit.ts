import { ServiceUnavailableError } from '../../errors.js';
import type { CallWindowsStore } from './call-windows-store.js';

const WINDOW_MS = 60_000;

/**
 * Target answers 503 above 50 bulk API calls per minute per client. profile-edge can do the same
 * (PROFILE_EDGE_BULK_RATE_LIMIT_PER_MINUTE; off by default): a sliding one-minute window of the
 * client's accepted-for-processing calls, counted after authentication so that no one can use up
 * another client's budget. The window lives in the database (CallWindowsStore), so every worker
 * and every node on it shares one budget per client.
 */
export class BulkRateLimiter {
  constructor(
    private readonly perMinute: number,
    private readonly windows: CallWindowsStore,
  ) {}

  get enabled(): boolean {
    return this.perMinute > 0;
  }

  /** Counts one call; throws a 503 (with the seconds to wait) when the client is over its limit. */
  async take(client: string, now: number): Promise<void> {
    if (!this.enabled) return;
    const oldest = await this.windows.take(client, now, WINDOW_MS, this.perMinute);
    if (oldest === null) return;
    throw new BulkRateLimitedError(client, this.perMinute, Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1000)));
  }
}

export class BulkRateLimitedError extends ServiceUnavailableError {
  constructor(client: string, perMinute: number, retryAfterSeconds: number) {
    super(
      `Too many bulk API calls for client ${client}: the limit is ${perMinute} per minute; retry in ${retryAfterSeconds} seconds`,
      retryAfterSeconds,
      'bulk_rate_limited',
    );
  }
}
