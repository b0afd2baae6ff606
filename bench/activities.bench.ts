// biome-ignore-all lint/suspicious/noTemplateCurlyInString: offers hold Target tokens, ${…} in plain strings
/**
 * Activities benchmark: `POST /rest/v1/delivery` with 20 live activities (10 ab, 10 xt with
 * audiences on profile attributes) over 3 locations, next to the same server code with no activity
 * and a bare `node:http` server answering a constant JSON — three child processes measured in
 * alternation, `rounds` times, by autocannon at 50 connections. Every call executes the three
 * locations (`hero` with 5 profile parameters, `promo`, `footer`), so the decisions, their rendering
 * and their impressions (counted with the visit) are all in the measured path. Prints a Markdown
 * section.
 *
 *   node --import tsx bench/activities.bench.ts [--duration 10] [--connections 50] [--rounds 3] [--warmup 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type ChildServer, startChildServer, startHttpChild } from '../test/support/child-server.js';
import { type LoadFigures, loadRow, median, POOL_SIZE, putActivities, runDeliveryLoad } from './support/delivery-load.js';
import { formatRate as number } from './support/report.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const warmup = Number(values.warmup);
const LOCATIONS = ['hero', 'promo', 'footer'] as const;
const randomVisitor = () => Math.floor(Math.random() * POOL_SIZE);

/** 10 ab activities (two experiences each) and 10 xt ones whose audiences read the profile the load writes. */
function activities(): Array<[string, unknown]> {
  const list: Array<[string, unknown]> = [];
  for (let i = 0; i < 10; i += 1) {
    const location = LOCATIONS[i % 3]!;
    list.push([
      `ab-${i}`,
      {
        name: `A/B test ${i}`,
        type: 'ab',
        state: 'live',
        priority: i,
        audience: i % 2 === 0 ? { in: ['/products', { var: 'page.path' }] } : undefined,
        experiences: [
          { id: 'A', allocation: 50, offers: { [location]: { type: 'html', content: `<div class="a${i}">Offer A</div>` } } },
          {
            id: 'B',
            allocation: 50,
            offers: { [location]: { type: 'html', content: `<div class="b${i}">Hello \${profile.loyaltyTier default="guest"}</div>` } },
          },
        ],
        metrics: [{ name: 'click', type: 'click', location }],
      },
    ]);
    list.push([
      `xt-${i}`,
      {
        name: `Targeted ${i}`,
        type: 'xt',
        state: 'live',
        priority: 100 + i,
        audience: { '==': [{ var: 'profile.loyaltyTier' }, i % 2 === 0 ? 'gold' : 'platinum'] },
        experiences: [
          {
            id: 'big-cart',
            audience: { '>=': [{ var: 'profile.cartSize' }, String(3 + (i % 3))] },
            offers: { [location]: { type: 'json', content: { offer: `xt-${i}`, discount: 10 + i, sku: '${profile.lastProduct}' } } },
          },
          {
            id: 'category',
            audience: { in: [`category-${i}`, { var: 'profile.lastCategory' }] },
            offers: { [location]: { type: 'json', content: { offer: `xt-${i}`, category: '${profile.lastCategory}' } } },
          },
        ],
        metrics: [],
      },
    ]);
  }
  return list;
}

const measure = (server: ChildServer, seconds = duration) =>
  runDeliveryLoad(server.url, {
    connections,
    duration: seconds,
    serverPid: server.process.pid,
    pick: randomVisitor,
    extraMboxes: ['promo', 'footer'],
  });

const plainDir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-bench-'));
const activeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-bench-'));
const bare = await startHttpChild(['bench/support/delivery-bare-server.ts']);
const plain = await startChildServer(plainDir);
const active = await startChildServer(activeDir);
const loadBefore = os.loadavg()[0]!;
const rows: string[] = [];
const results: Array<{ bare: LoadFigures; plain: LoadFigures; active: LoadFigures }> = [];
try {
  await putActivities(active.url, activeDir, activities());
  // Unmeasured: the JIT, the page cache and the visitor pool's first profiles, on every server.
  if (warmup > 0) for (const server of [bare, plain, active]) await measure(server, warmup);
  for (let round = 1; round <= rounds; round++) {
    const result = { bare: await measure(bare), plain: await measure(plain), active: await measure(active) };
    results.push(result);
    rows.push(
      loadRow(round, 'bare node:http, constant JSON', result.bare),
      loadRow(round, 'profile-edge, no activities', result.plain),
      loadRow(round, 'profile-edge, 20 live activities', result.active),
    );
    for (const [name, figures] of Object.entries(result)) {
      if (figures.non2xx + figures.errors > 0) throw new Error(`${name}: ${figures.non2xx} non-2xx, ${figures.errors} errors`);
    }
  }
  const toPlain = results.map((r) => r.active.requestsPerSecond / r.plain.requestsPerSecond);
  const toBare = results.map((r) => r.active.requestsPerSecond / r.bare.requestsPerSecond);
  const cpuCost = results
    .map((r) => (r.active.serverCpuMicros ?? Number.NaN) - (r.plain.serverCpuMicros ?? Number.NaN))
    .filter((x) => !Number.isNaN(x));
  // Server CPU per request depends less on the neighbours than requests/s does on a shared machine.
  const cpuRatio = results
    .map((r) => (r.plain.serverCpuMicros ?? Number.NaN) / (r.active.serverCpuMicros ?? Number.NaN))
    .filter((x) => !Number.isNaN(x));
  console.log(`## Activities

\`node --import tsx bench/activities.bench.ts\` — ${connections} connections, ${duration} s per run, ${rounds} rounds
alternating the three servers after ${warmup} s of unmeasured load on each; every call executes 3 mboxes (\`hero\` with 5 profile parameters,
\`promo\`, \`footer\`) for a random visitor of a pool of ${number(POOL_SIZE)} tntIds. With activities:
10 ab (half with a page-path audience) and 10 xt (audiences and experience audiences on the
profile attributes the calls write), spread over the 3 locations; each decided location is rendered
and its impression counted with the visit. Node ${process.version}, ${os.cpus().length} CPUs
(${os.cpus()[0]?.model ?? 'unknown'}); servers and load generator share the machine; load average
${loadBefore.toFixed(1)} before the runs, ${os.loadavg()[0]!.toFixed(1)} after.

| round | server | requests/s | p50 ms | p99 ms | server CPU µs/request | requests | errors |
|---:|---|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

With activities against without: median **${median(toPlain).toFixed(2)}×**, best round ${Math.max(...toPlain).toFixed(2)}× (aim ≥ 0.8×);
against bare node: median ${median(toBare).toFixed(2)}×. Server CPU added by the activities: median ${
    cpuCost.length > 0 ? `${number(median(cpuCost))} µs` : 'n/a'
  } per request, so by server CPU per request ${cpuRatio.length > 0 ? `${median(cpuRatio).toFixed(2)}×` : 'n/a'} (median).
p99 with activities: median ${median(results.map((r) => r.active.p99))} ms, without: ${median(results.map((r) => r.plain.p99))} ms (aim < 25 ms).`);
} finally {
  await Promise.all([bare.stop(), plain.stop(), active.stop()]);
  fs.rmSync(plainDir, { recursive: true, force: true });
  fs.rmSync(activeDir, { recursive: true, force: true });
}
