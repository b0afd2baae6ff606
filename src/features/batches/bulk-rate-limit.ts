import { ServiceUnavailableError } from '../../errors.js';

const WINDOW_MS = 60_000;

/**
 * Target answers 503 above 50 bulk API calls per minute per client. profile-edge can do the same
 * (PROFILE_EDGE_BULK_RATE_LIMIT_PER_MINUTE; off by default): a sliding one-minute window of the
 * client's accepted-for-processing calls, counted after authentication so that no one can use up
 * another client's budget. Per server process: with several workers each keeps its own window.
 */
export class BulkRateLimiter {
  private readonly calls = new Map<string, number[]>();

  constructor(private readonly perMinute: number) {}

  get enabled(): boolean {
    return this.perMinute > 0;
  }

  /** Counts one call; throws a 503 (with the seconds to wait) when the client is over its limit. */
  take(client: string, now: number): void {
    if (!this.enabled) return;
    const recent = (this.calls.get(client) ?? []).filter((at) => at > now - WINDOW_MS);
    if (recent.length >= this.perMinute) {
      this.calls.set(client, recent);
      throw new BulkRateLimitedError(client, this.perMinute, Math.max(1, Math.ceil((recent[0]! + WINDOW_MS - now) / 1000)));
    }
    recent.push(now);
    this.calls.set(client, recent);
  }
}

export class BulkRateLimitedError extends ServiceUnavailableError {
  constructor(
    client: string,
    perMinute: number,
    readonly retryAfterSeconds: number,
  ) {
    super(
      `Too many bulk API calls for client ${client}: the limit is ${perMinute} per minute; retry in ${retryAfterSeconds} seconds`,
      'bulk_rate_limited',
    );
  }
}
