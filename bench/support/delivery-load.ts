import fs from 'node:fs';
import autocannon from 'autocannon';
import { secretFromDataDir } from '../../src/cli/remote.js';
import { formatRate } from './report.js';

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
  return loadFigures(result, cpuBefore, cpuAfter);
}

/** The figures of one autocannon run; `wrong` replaces autocannon's non-2xx count (e.g. when 304 is the expected answer). */
export function loadFigures(result: autocannon.Result, cpuBefore: number | null, cpuAfter: number | null, wrong?: number): LoadFigures {
  return {
    serverCpuMicros:
      cpuBefore === null || cpuAfter === null || result.requests.total === 0
        ? null
        : Math.round(((cpuAfter - cpuBefore) * 1000) / result.requests.total),
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: wrong ?? result.non2xx,
    errors: result.errors,
  };
}

export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One row of the load table the delivery benches print (round, server, req/s, p50, p99, CPU µs/request, requests, errors). */
export function loadRow(round: number, name: string, f: LoadFigures): string {
  const cpu = f.serverCpuMicros === null ? 'n/a' : formatRate(f.serverCpuMicros);
  return `| ${round} | ${name} | ${formatRate(f.requestsPerSecond)} | ${f.p50} | ${f.p99} | ${cpu} | ${formatRate(f.total)} | ${f.non2xx + f.errors} |`;
}

/** Stores `activities` (id, body) for client `demo` through the admin API of a child server on `dataDir`. */
export async function putActivities(url: string, dataDir: string, activities: ReadonlyArray<[string, unknown]>): Promise<void> {
  const adminKey = secretFromDataDir(dataDir, 'ADMIN_KEY');
  for (const [id, activity] of activities) {
    const response = await fetch(`${url}/admin/v1/clients/demo/activities/${id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(activity),
    });
    if (response.status !== 201) throw new Error(`activity ${id}: ${response.status} ${await response.text()}`);
  }
}
