/**
 * Delivery benchmark: profile-edge's `POST /rest/v1/delivery` (one mbox, 5 profile parameters,
 * random visitors from a pool of 100,000) next to a bare `node:http` server answering a constant
 * JSON, both in child processes, both driven by autocannon at 50 connections. Prints a Markdown
 * section.
 *
 *   node --import tsx bench/delivery.bench.ts [--duration 10] [--connections 50] [--rounds 3] [--seed]
 *
 * The two servers are measured in alternation, `rounds` times, because on a shared machine the
 * neighbours' load changes from one run to the next; each round's ratio compares two runs taken
 * seconds apart. Without --seed the pool's visitors are created by their first visit during the
 * runs; --seed first makes every visitor visit once, so that the runs update existing profiles.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type ChildServer, startChildServer, startHttpChild } from '../test/support/child-server.js';
import { type LoadFigures, loadRow, median, POOL_SIZE, runDeliveryLoad } from './support/delivery-load.js';
import { formatRate as number } from './support/report.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    seed: { type: 'boolean', default: false },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const randomVisitor = () => Math.floor(Math.random() * POOL_SIZE);

const measure = (server: ChildServer) =>
  runDeliveryLoad(server.url, { connections, duration, serverPid: server.process.pid, pick: randomVisitor });

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-bench-'));
const bare = await startHttpChild(['bench/support/delivery-bare-server.ts']);
const edge = await startChildServer(dataDir);
const loadBefore = os.loadavg()[0]!;
const rows: string[] = [];
const results: Array<{ bare: LoadFigures; edge: LoadFigures }> = [];
try {
  let seeding = '';
  if (values.seed) {
    const started = Date.now();
    const seeded = await runDeliveryLoad(edge.url, { connections, amount: POOL_SIZE, pick: (n) => n });
    if (seeded.non2xx + seeded.errors > 0) throw new Error(`seeding failed: ${seeded.non2xx} non-2xx, ${seeded.errors} errors`);
    seeding = ` (pre-created by one visit each, ${((Date.now() - started) / 1000).toFixed(1)} s)`;
  } else {
    seeding = ' (created by their first visit during the runs)';
  }
  for (let round = 1; round <= rounds; round++) {
    const result = { bare: await measure(bare), edge: await measure(edge) };
    results.push(result);
    rows.push(loadRow(round, 'bare node:http, constant JSON', result.bare), loadRow(round, 'profile-edge delivery', result.edge));
  }
  const ratios = results.map((r) => r.edge.requestsPerSecond / r.bare.requestsPerSecond);
  console.log(`## Delivery

\`node --import tsx bench/delivery.bench.ts\` — ${connections} connections, ${duration} s per run, ${rounds} rounds
alternating the two servers; one mbox with 5 profile parameters per call, random visitors from a
pool of ${number(POOL_SIZE)} tntIds${seeding}. Node ${process.version}, ${os.cpus().length} CPUs
(${os.cpus()[0]?.model ?? 'unknown'}); servers and load generator share the machine; load average
${loadBefore.toFixed(1)} before the runs, ${os.loadavg()[0]!.toFixed(1)} after.

| round | server | requests/s | p50 ms | p99 ms | server CPU µs/request | requests | errors |
|---:|---|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

Ratio to bare node: median **${median(ratios).toFixed(2)}×**, best round ${Math.max(...ratios).toFixed(2)}× (aim ≥ 0.25×);
profile-edge p99: median ${median(results.map((r) => r.edge.p99))} ms, lowest ${Math.min(...results.map((r) => r.edge.p99))} ms (aim < 25 ms).`);
} finally {
  await Promise.all([bare.stop(), edge.stop()]);
  fs.rmSync(dataDir, { recursive: true, force: true });
}
