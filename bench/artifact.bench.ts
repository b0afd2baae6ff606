/**
 * Artifact benchmark: `GET /demo/production/v1/rules.json` with 20 live activities (10 ab, 10 xt
 * over 6 locations; half of the xt ones read the profile, so their location is remote), answered
 * 200 with the artifact and, with the ETag in `If-None-Match`, 304 — next to a bare `node:http`
 * server answering the same bytes and headers (bench/support/artifact-bare-server.ts). Two child
 * processes measured in alternation, `rounds` times, by autocannon at 50 connections. Prints a
 * Markdown section.
 *
 *   node --import tsx bench/artifact.bench.ts [--duration 10] [--connections 50] [--rounds 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { type ChildServer, startChildServer, startHttpChild } from '../test/support/child-server.js';
import { type LoadFigures, loadFigures, loadRow, median, processCpuMs, putActivities } from './support/delivery-load.js';
import { formatRate as number } from './support/report.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const LOCATIONS = ['hero', 'promo', 'footer'] as const;
const ARTIFACT_PATH = '/demo/production/v1/rules.json';

/** 10 ab activities (two experiences, half with a page audience) and 10 xt (audiences on the page, or on the profile: remote). */
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
          { id: 'B', allocation: 50, offers: { [location]: { type: 'html', content: `<div class="b${i}">Offer B</div>` } } },
        ],
        metrics: [{ name: 'click', type: 'click', location }],
      },
    ]);
    // The profile-reading ones share one (remote) location; the others are published.
    const xtLocation = i % 2 === 0 ? 'checkout' : i % 4 === 1 ? 'banner' : 'sidebar';
    list.push([
      `xt-${i}`,
      {
        name: `Targeted ${i}`,
        type: 'xt',
        state: 'live',
        priority: 100 + i,
        audience: i % 2 === 0 ? { '==': [{ var: 'profile.loyaltyTier' }, 'gold'] } : { '==': [{ var: 'user.browserType' }, 'chrome'] },
        experiences: [
          {
            id: 'products',
            audience: { in: ['/products', { var: 'page.path' }] },
            offers: { [xtLocation]: { type: 'json', content: { offer: `xt-${i}`, discount: 10 + i } } },
          },
          { id: 'rest', offers: { [xtLocation]: { type: 'json', content: { offer: `xt-${i}`, discount: 0 } } } },
        ],
        metrics: [],
      },
    ]);
  }
  return list;
}

async function measure(server: ChildServer, headers: Record<string, string>, status: 200 | 304): Promise<LoadFigures> {
  const cpuBefore = processCpuMs(server.process.pid!);
  let wrong = 0;
  const result = await autocannon({ url: server.url + ARTIFACT_PATH, connections, duration, headers });
  // autocannon counts 304 as non-2xx: the status codes are checked instead.
  for (const [code, count] of Object.entries(result.statusCodeStats ?? {})) {
    if (Number(code) !== status) wrong += (count as { count: number }).count;
  }
  return loadFigures(result, cpuBefore, processCpuMs(server.process.pid!), wrong);
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-bench-'));
const bytesFile = path.join(dataDir, 'rules.json');
const edge = await startChildServer(dataDir);
let bare: ChildServer | undefined;
const loadBefore = os.loadavg()[0]!;
const rows: string[] = [];
const results: Array<Record<'bare200' | 'edge200' | 'bare304' | 'edge304', LoadFigures>> = [];
try {
  await putActivities(edge.url, dataDir, activities());
  const served = await fetch(edge.url + ARTIFACT_PATH);
  if (served.status !== 200) throw new Error(`rules.json: ${served.status}`);
  const etag = served.headers.get('etag')!;
  const bytes = Buffer.from(await served.arrayBuffer());
  const artifact = JSON.parse(bytes.toString('utf8'));
  fs.writeFileSync(bytesFile, bytes);
  bare = await startHttpChild(['bench/support/artifact-bare-server.ts'], { ARTIFACT_FILE: bytesFile, ARTIFACT_ETAG: etag });
  const revalidate = { 'if-none-match': etag };
  for (let round = 1; round <= rounds; round++) {
    const result = {
      bare200: await measure(bare, {}, 200),
      edge200: await measure(edge, {}, 200),
      bare304: await measure(bare, revalidate, 304),
      edge304: await measure(edge, revalidate, 304),
    };
    results.push(result);
    rows.push(
      loadRow(round, 'bare node:http, 200 (same bytes)', result.bare200),
      loadRow(round, 'profile-edge, 200', result.edge200),
      loadRow(round, 'bare node:http, 304', result.bare304),
      loadRow(round, 'profile-edge, 304', result.edge304),
    );
    for (const [name, figures] of Object.entries(result)) {
      if (figures.non2xx + figures.errors > 0) throw new Error(`${name}: ${figures.non2xx} wrong statuses, ${figures.errors} errors`);
    }
  }
  const ratio200 = results.map((r) => r.edge200.requestsPerSecond / r.bare200.requestsPerSecond);
  const ratio304 = results.map((r) => r.edge304.requestsPerSecond / r.bare304.requestsPerSecond);
  const rulesCount = Object.values(artifact.rules.mboxes as Record<string, unknown[]>).reduce((sum, list) => sum + list.length, 0);
  console.log(`## Artifact

\`node --import tsx bench/artifact.bench.ts --duration ${duration} --rounds ${rounds}\` — ${connections} connections, ${duration} s
per run, ${rounds} rounds alternating the two servers and the two answers: \`GET ${ARTIFACT_PATH}\`
with 20 live activities (10 ab, half with a page audience; 10 xt, half reading the profile, so
remote) — ${number(bytes.length)} bytes, ${rulesCount} rules, ${artifact.localMboxes.length} local and
${artifact.remoteMboxes.length} remote mboxes — answered 200, and 304 with its ETag in
\`If-None-Match\`; the bare \`node:http\` server answers the same bytes and headers. Node
${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}); servers and load generator
share the machine; load average ${loadBefore.toFixed(1)} before the runs, ${os.loadavg()[0]!.toFixed(1)} after.

| round | server | requests/s | p50 ms | p99 ms | server CPU µs/request | requests | errors |
|---:|---|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

profile-edge against bare node: 200 median **${median(ratio200).toFixed(2)}×** (rounds ${ratio200
    .map((r) => r.toFixed(2))
    .join(', ')}), 304 median **${median(ratio304).toFixed(2)}×** (rounds ${ratio304.map((r) => r.toFixed(2)).join(', ')}); aim ≥ 0.5×.`);
} finally {
  await Promise.all([edge.stop(), bare?.stop()]);
  fs.rmSync(dataDir, { recursive: true, force: true });
}
