/**
 * Delivery benchmark: profile-edge's `POST /rest/v1/delivery` (one mbox, 5 profile parameters,
 * a pool of 100,000 visitors) next to a bare `node:http` server answering a constant JSON, both
 * in child processes, both driven by autocannon at 50 connections. Prints a Markdown section.
 *
 *   node --import tsx bench/delivery.bench.ts [--duration 10] [--connections 50] [--seed]
 *
 * Without --seed the pool's visitors are created by their first visit during the run (mostly
 * creations in a 10 s run); --seed first makes every visitor of the pool visit once, so that the
 * measured run updates existing profiles.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startChildServer, startHttpChild } from '../test/support/child-server.js';
import { type LoadFigures, POOL_SIZE, runDeliveryLoad } from './support/delivery-load.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    seed: { type: 'boolean', default: false },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const randomVisitor = () => Math.floor(Math.random() * POOL_SIZE);

function row(name: string, figures: LoadFigures): string {
  return `| ${name} | ${Math.round(figures.requestsPerSecond).toLocaleString('en-US')} | ${figures.p50} | ${figures.p99} | ${figures.total.toLocaleString('en-US')} | ${figures.non2xx + figures.errors} |`;
}

async function measureProfileEdge(): Promise<{ figures: LoadFigures; seedSeconds: number | null }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-bench-'));
  const server = await startChildServer(dataDir);
  try {
    let seedSeconds: number | null = null;
    if (values.seed) {
      const started = Date.now();
      const seeded = await runDeliveryLoad(server.url, { connections, amount: POOL_SIZE, pick: (n) => n });
      if (seeded.non2xx + seeded.errors > 0) throw new Error(`seeding failed: ${seeded.non2xx} non-2xx, ${seeded.errors} errors`);
      seedSeconds = (Date.now() - started) / 1000;
    }
    return { figures: await runDeliveryLoad(server.url, { connections, duration, pick: randomVisitor }), seedSeconds };
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measureBareNode(): Promise<LoadFigures> {
  const server = await startHttpChild(['bench/support/delivery-bare-server.ts']);
  try {
    return await runDeliveryLoad(server.url, { connections, duration, pick: randomVisitor });
  } finally {
    await server.stop();
  }
}

const bare = await measureBareNode();
const { figures: edge, seedSeconds } = await measureProfileEdge();
const ratio = edge.requestsPerSecond / bare.requestsPerSecond;

console.log(`## Delivery

\`node --import tsx bench/delivery.bench.ts\` — ${connections} connections, ${duration} s each, one mbox with 5 profile
parameters per call, random visitors from a pool of ${POOL_SIZE.toLocaleString('en-US')} tntIds${seedSeconds === null ? ' (created by their first visit during the run)' : ` (pre-created by one visit each, ${seedSeconds.toFixed(1)} s)`}.
Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}); server and load generator share the machine.

| server | requests/s | p50 ms | p99 ms | requests | errors |
|---|---:|---:|---:|---:|---:|
${row('bare node:http, constant JSON', bare)}
${row('profile-edge delivery', edge)}

Ratio to bare node: **${ratio.toFixed(2)}×** (aim ≥ 0.25×); p99 ${edge.p99} ms (aim < 25 ms).`);
