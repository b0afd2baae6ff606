/**
 * Profile-scripts benchmark: `POST /rest/v1/delivery` on a client with 10 active profile scripts
 * next to the same server code with none — two child processes measured in alternation, `rounds`
 * times, by autocannon at 50 connections (one mbox with 5 profile parameters per call, a random
 * visitor of a pool of 100,000). Then a runaway script (`for (;;) {}`) is added to the scripted
 * server: the calls right after it are timed one by one (the first pays its budget once and
 * disables it; the next ones pay nothing). Then the hostile corpus (test/hostile/scripts) is run
 * directly in a sandbox, each case timed until it is stopped. Prints a Markdown section.
 *
 *   node --import tsx bench/scripts.bench.ts [--duration 10] [--connections 50] [--rounds 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { secretFromDataDir } from '../src/cli/remote.js';
import { ClientSandbox } from '../src/features/profile-scripts/sandbox/client-sandbox.js';
import { runScripts, type ScriptRequest } from '../src/features/profile-scripts/script-runs.js';
import { type ChildServer, startChildServer } from '../test/support/child-server.js';
import { type LoadFigures, POOL_SIZE, runDeliveryLoad, visitorTntId } from './support/delivery-load.js';
import { BENCH_SCRIPTS } from './support/scripts.js';

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

async function adminCall(server: ChildServer, dataDir: string, method: string, pathName: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}${pathName}`, {
    method,
    headers: { authorization: `Bearer ${secretFromDataDir(dataDir, 'ADMIN_KEY')}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const measure = (server: ChildServer) =>
  runDeliveryLoad(server.url, { connections, duration, serverPid: server.process.pid, pick: () => Math.floor(Math.random() * POOL_SIZE) });

const number = (n: number) => Math.round(n).toLocaleString('en-US');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => x.toFixed(2);

function row(round: number, name: string, f: LoadFigures): string {
  const cpu = f.serverCpuMicros === null ? 'n/a' : number(f.serverCpuMicros);
  return `| ${round} | ${name} | ${number(f.requestsPerSecond)} | ${f.p50} | ${f.p99} | ${cpu} | ${number(f.total)} | ${f.non2xx + f.errors} |`;
}

/** One delivery call, timed from the client. */
async function timedCall(server: ChildServer, visitor: number): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${server.url}/rest/v1/delivery?client=demo&sessionId=runaway-${visitor}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      context: { channel: 'web' },
      id: { tntId: visitorTntId(visitor) },
      execute: { mboxes: [{ name: 'hero', index: 0 }] },
    }),
  });
  await response.text();
  if (response.status !== 200) throw new Error(`runaway call: ${response.status}`);
  return performance.now() - started;
}

/** Every case of the hostile corpus, run in a fresh sandbox with the default limits: how long until it is stopped. */
async function hostileTimings(): Promise<Array<{ name: string; outcome: string; ms: number }>> {
  const dir = path.join('test', 'hostile', 'scripts');
  const cases = fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .flatMap((file) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Array<{ name: string; source: string }>);
  const sandbox = await ClientSandbox.create();
  const request: ScriptRequest = {
    tntId: 'v1',
    sessionId: 's1',
    facts: { isFirstSession: true, isNewSession: true, daysSinceLastVisit: null, sessionCount: 1 },
    context: {},
    now: Date.now(),
  };
  const runOnce = (source: string) => {
    const compiled = sandbox.compile(source);
    if (!compiled.ok) return null;
    try {
      const started = performance.now();
      const result = runScripts(sandbox, [{ name: 't', version: 1, compiled: compiled.script, failed: false }], request, [], new Map());
      return { outcome: result.failures[0]?.reason ?? 'ran', ms: performance.now() - started };
    } finally {
      sandbox.release(compiled.script);
    }
  };
  const timings: Array<{ name: string; outcome: string; ms: number }> = [];
  try {
    // Warm: the first runs of a sandbox include WebAssembly tier-up.
    for (let i = 0; i < 200; i++) runOnce('var i = 0; while (i < 900) i++; return i');
    for (const { name, source } of cases) {
      const timed = runOnce(source);
      if (timed) timings.push({ name, ...timed });
    }
  } finally {
    sandbox.dispose();
  }
  return timings;
}

const plainDir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-bench-'));
const scriptedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-bench-'));
const plain = await startChildServer(plainDir);
const scripted = await startChildServer(scriptedDir);
const loadBefore = os.loadavg()[0]!;
const rows: string[] = [];
const results: Array<{ plain: LoadFigures; scripted: LoadFigures }> = [];
try {
  for (const [name, source] of Object.entries(BENCH_SCRIPTS)) {
    const response = await adminCall(scripted, scriptedDir, 'PUT', `/admin/v1/clients/demo/profile-scripts/${name}`, { source });
    if (response.status !== 201) throw new Error(`script ${name}: ${response.status} ${await response.text()}`);
  }
  for (let round = 1; round <= rounds; round++) {
    const result = { plain: await measure(plain), scripted: await measure(scripted) };
    results.push(result);
    rows.push(row(round, 'profile-edge, no scripts', result.plain), row(round, 'profile-edge, 10 active scripts', result.scripted));
    for (const [name, figures] of Object.entries(result)) {
      if (figures.non2xx + figures.errors > 0) throw new Error(`${name}: ${figures.non2xx} non-2xx, ${figures.errors} errors`);
    }
  }
  const list = (await (await adminCall(scripted, scriptedDir, 'GET', '/admin/v1/clients/demo/profile-scripts')).json()) as {
    scripts: Array<{ name: string; status: string; disabledMessage: string | null }>;
  };
  const inactive = list.scripts.filter((script) => script.status !== 'active');
  if (inactive.length > 0) throw new Error(`scripts disabled under load: ${JSON.stringify(inactive)}`);

  // The runaway: costs its budget once, then nothing.
  const before: number[] = [];
  for (let i = 0; i < 50; i++) before.push(await timedCall(scripted, i));
  const put = await adminCall(scripted, scriptedDir, 'PUT', '/admin/v1/clients/demo/profile-scripts/runaway', { source: 'for (;;) {}' });
  if (put.status !== 201) throw new Error(`runaway: ${put.status}`);
  const first = await timedCall(scripted, 1_000);
  const after: number[] = [];
  for (let i = 0; i < 50; i++) after.push(await timedCall(scripted, 2_000 + i));
  const runaway = (await (await adminCall(scripted, scriptedDir, 'GET', '/admin/v1/clients/demo/profile-scripts/runaway')).json()) as {
    status: string;
    disabledReason: string;
  };
  const hostile = await hostileTimings();
  const worst = hostile.reduce((a, b) => (b.ms > a.ms ? b : a));

  const toPlain = results.map((r) => r.scripted.requestsPerSecond / r.plain.requestsPerSecond);
  const cpuCost = results
    .map((r) => (r.scripted.serverCpuMicros ?? Number.NaN) - (r.plain.serverCpuMicros ?? Number.NaN))
    .filter((x) => !Number.isNaN(x));
  console.log(`## Profile scripts

\`node --import tsx bench/scripts.bench.ts\` — ${connections} connections, ${duration} s per run, ${rounds} rounds
alternating the two servers; every call executes one mbox with 5 profile parameters for a random
visitor of a pool of ${number(POOL_SIZE)} tntIds. With scripts: 10 active scripts of the client
(counters, last values, page and mbox reads, a local), each run once per call and its writes stored
with the visit. Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'});
servers and load generator share the machine; load average ${loadBefore.toFixed(1)} before the runs,
${os.loadavg()[0]!.toFixed(1)} after.

| round | server | requests/s | p50 ms | p99 ms | server CPU µs/request | requests | errors |
|---:|---|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

With 10 scripts against none: median **${median(toPlain).toFixed(2)}×**, best round ${Math.max(...toPlain).toFixed(2)}× (aim ≥ 0.7×).
Server CPU added by the 10 scripts: median ${cpuCost.length > 0 ? `${number(median(cpuCost))} µs` : 'n/a'} per request.
p99 with scripts: median ${median(results.map((r) => r.scripted.p99))} ms (aim < 25 ms).

A runaway script (\`for (;;) {}\`) added to the scripted client, single calls timed from the client:
median ${ms(median(before))} ms before it; the first call after it ${ms(first)} ms (its budget, once —
the script is then ${runaway.status}, reason \`${runaway.disabledReason}\`); median ${ms(median(after))} ms for the
50 calls after that.

The hostile corpus (test/hostile/scripts), each case run in a warm sandbox with the default limits
(2,000 steps, 5 ms, 8 MB, 256 KB stack) — time until it returned or was stopped:

| case | outcome | ms |
|---|---|---:|
${hostile.map((h) => `| ${h.name} | ${h.outcome} | ${ms(h.ms)} |`).join('\n')}

Worst: ${worst.name}, ${ms(worst.ms)} ms.`);
} finally {
  await Promise.all([plain.stop(), scripted.stop()]);
  fs.rmSync(plainDir, { recursive: true, force: true });
  fs.rmSync(scriptedDir, { recursive: true, force: true });
}
