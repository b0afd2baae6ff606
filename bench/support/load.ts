import autocannon from 'autocannon';
import { type CpuUse, cpuSnapshot, cpuUseBetween } from './cpu.js';

export interface RequestShape {
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  /** Base URL, e.g. http://127.0.0.1:1234 */
  url: string;
  connections: number;
  durationSeconds: number;
  /** Unmeasured load first, so that the JIT and the caches are warm when measuring starts. */
  warmupSeconds?: number;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /**
   * The n-th request (n counts from 0 across all connections). Called once per request, in the
   * load generator's process: keep it cheap.
   */
  request: (n: number) => RequestShape;
  /** The server's process id, to report the CPU it (and everything else) used while measured. */
  serverPid?: number;
  /** The database server's pid (PostgreSQL's postmaster), to report its CPU apart from `others`. */
  databasePid?: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  /** Latency percentiles of 2xx responses, in milliseconds (autocannon's resolution: 1 ms). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Responses received during the measured period. */
  responses: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  /** Count per status code, e.g. { '200': 1234 }. */
  statusCodes: Record<string, number>;
  durationSeconds: number;
  /** CPU used during the measured period; null when unknown (no serverPid, no /proc). */
  cpu: CpuUse | null;
}

async function cannon(options: LoadOptions, durationSeconds: number): Promise<autocannon.Result> {
  let n = 0;
  return autocannon({
    url: options.url,
    connections: options.connections,
    duration: durationSeconds,
    headers: options.headers,
    requests: [
      {
        setupRequest: (request) => {
          const shape = options.request(n++);
          return {
            ...request,
            method: shape.method ?? 'GET',
            path: shape.path,
            headers: { ...request.headers, ...shape.headers },
            ...(shape.body === undefined ? {} : { body: shape.body }),
          };
        },
      },
    ],
  });
}

/** Runs autocannon against one server: an optional warm-up, then the measured period. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.warmupSeconds && options.warmupSeconds > 0) await cannon(options, options.warmupSeconds);
  const before = options.serverPid === undefined ? null : cpuSnapshot(options.serverPid, options.databasePid);
  const result = await cannon(options, options.durationSeconds);
  const after = options.serverPid === undefined ? null : cpuSnapshot(options.serverPid, options.databasePid);
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    responses: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    durationSeconds: result.duration,
    cpu: before && after ? cpuUseBetween(before, after) : null,
  };
}
