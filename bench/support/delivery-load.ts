import fs from 'node:fs';
import autocannon from 'autocannon';

/**
 * The delivery load: one mbox with 5 profile parameters per call, over a pool of visitors named
 * by tntId, each visitor keeping its own sessionId (as a browser with an `mbox` cookie would).
 */
export const POOL_SIZE = 100_000;

export function visitorTntId(index: number): string {
  return index.toString(16).padStart(32, '0');
}

/** The first mbox carries the profile parameters; the others (`extraMboxes`) only their names. */
function deliveryBody(visitor: number, serial: number, extraMboxes: readonly string[]): string {
  return JSON.stringify({
    context: { channel: 'web', address: { url: 'https://shop.example/products' } },
    id: { tntId: visitorTntId(visitor) },
    execute: {
      mboxes: [
        {
          name: 'hero',
          index: 0,
          profileParameters: {
            lastCategory: `category-${serial % 40}`,
            lastProduct: `sku-${serial % 1000}`,
            cartSize: String(serial % 7),
            loyaltyTier: visitor % 3 === 0 ? 'gold' : 'silver',
            lastSeenPage: `/products/${serial % 250}`,
          },
        },
        ...extraMboxes.map((name, position) => ({ name, index: position + 1 })),
      ],
    },
  });
}

/**
 * CPU time (user + system, ms) a process has used, from /proc/<pid>/stat (Linux; null elsewhere).
 * CPU per request stays meaningful on a shared machine, where requests/s depends on the neighbours.
 */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 100 Hz ticks
  } catch {
    return null;
  }
}

export interface LoadFigures {
  /** Server CPU per request, in µs; null when /proc is not available. */
  serverCpuMicros: number | null;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
}

/**
 * `pick` chooses the visitor of each call: sequential to create the pool, random to measure. The
 * sessionId rides in the path, so it is set per request too.
 */
export async function runDeliveryLoad(
  url: string,
  options: {
    connections: number;
    duration?: number;
    amount?: number;
    serverPid?: number;
    pick: (serial: number) => number;
    /** More locations per call, after `hero`. */
    extraMboxes?: readonly string[];
  },
): Promise<LoadFigures> {
  let serial = 0;
  const cpuBefore = options.serverPid === undefined ? null : processCpuMs(options.serverPid);
  const result = await autocannon({
    url,
    connections: options.connections,
    ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.duration ?? 10 }),
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => {
          const n = serial++;
          const visitor = options.pick(n);
          return {
            ...request,
            path: `/rest/v1/delivery?client=demo&sessionId=bench-${visitor}`,
            body: deliveryBody(visitor, n, options.extraMboxes ?? []),
          };
        },
      },
    ],
  });
  const cpuAfter = options.serverPid === undefined ? null : processCpuMs(options.serverPid);
  return {
    serverCpuMicros:
      cpuBefore === null || cpuAfter === null || result.requests.total === 0
        ? null
        : Math.round(((cpuAfter - cpuBefore) * 1000) / result.requests.total),
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
