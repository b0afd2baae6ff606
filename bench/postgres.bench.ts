/**
 * PostgreSQL benchmark (issue 6): bulk and single update with 1 and 2 server processes on one
 * throwaway PostgreSQL, next to raw `pg` doing the same writes in the same run. Standalone:
 *   node --import tsx bench/postgres.bench.ts [--rows 100000]     (or: npm run bench -- postgres)
 *
 * - bulk, 1 process: one v2 batch of `rows` rows (10 attributes) POSTed to `serve`, timed to `complete`;
 * - bulk, 2 processes: `serve --workers 2`, the same rows as two batches of two clients sent at
 *   once (a batch is worked on by one process at a time, so two batches are needed to use two);
 * - raw bulk: plain `pg`, COPY into a staging table + one merge per table, 10,000-row transactions;
 * - single update: autocannon against `serve` (1 process) and `serve --workers 2` on the profiles
 *   the bulk run created, interleaved, next to raw `pg` running the statements of our fast path (read the row, write it back if its version is unchanged) with ids resolved from memory.
 * The throwaway PostgreSQL runs with fsync=off (test/support/postgres.ts): commits cost CPU, not disk.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { secretFromDataDir } from '../src/cli/remote.js';
import { createDatabaseOn, startPostgres } from '../test/support/postgres.js';
import { bulkKey, writeBulkFile } from './support/bulk-file.js';
import { postFile, xmlField } from './support/bulk-server.js';
import { type LoadResult, runLoad } from './support/load.js';
import { rawPgBulk, rawPgSingleUpdates } from './support/postgres-raw.js';
import { freePort, type ServerProcess, spawnServer } from './support/processes.js';
import { formatRate, leastDisturbed, markdownTable } from './support/report.js';
import { benchSettingsFromEnv, machineSummary } from './support/settings.js';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '100000' } } });
const rows = Number(args.rows);
const settings = benchSettingsFromEnv();
const ADMIN_KEY = 'postgres-bench-admin-key-0123456789abcdef';
/**
 * Single updates are measured in steady state: each server process remembers where the ids it has
 * seen point (PgProfilesStore's key hints), and a process that has not yet seen most of the 50,000
 * visitors pays an extra statement per update. 20 s of warm-up sends each process well over
 * 50,000 requests.
 */
const STEADY_STATE_WARMUP_SECONDS = 20;
const log = (line: string) => process.stderr.write(`[postgres] ${line}\n`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-pg-bench-'));
const postgres = await startPostgres();

interface Node extends ServerProcess {
  dataDir: string;
}

const started: Node[] = [];

async function serve(databaseUrl: string, workers: number): Promise<Node> {
  const dataDir = fs.mkdtempSync(path.join(work, 'node-'));
  const port = await freePort();
  const server = await spawnServer({
    script: 'src/main.ts',
    args: ['serve'],
    env: {
      PROFILE_EDGE_PORT: String(port),
      PROFILE_EDGE_DATA_DIR: dataDir,
      PROFILE_EDGE_DATABASE_URL: databaseUrl,
      PROFILE_EDGE_ADMIN_KEY: ADMIN_KEY,
      PROFILE_EDGE_WORKERS: String(workers),
      PROFILE_EDGE_LOG_LEVEL: 'warn',
    },
    port,
    readyPath: '/healthz',
  });
  started.push({ ...server, dataDir });
  return started[started.length - 1]!;
}

async function untilComplete(url: string, batchId: string, client: string, token: string): Promise<string> {
  for (;;) {
    const xml = await (
      await fetch(`${url}/m2/${client}/profile/batchStatus?batchId=${batchId}&showDetails=true`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).text();
    if (xmlField(xml, 'status') !== 'incomplete') return xml;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** POSTs each (client, file) at once and waits for every batch; seconds from the first byte to the last `complete`. */
async function timedBulk(url: string, token: string, batches: Array<{ client: string; file: string }>): Promise<number> {
  const started = performance.now();
  await Promise.all(
    batches.map(async ({ client, file }) => {
      const answer = await postFile(`${url}/m2/${client}/v2/profile/batchUpdate`, file, { authorization: `Bearer ${token}` });
      const batchId = new URL(xmlField(answer.body, 'batchStatus') ?? 'http://x/').searchParams.get('batchId');
      if (answer.status !== 200 || !batchId) throw new Error(`upload refused: ${answer.status} ${answer.body}`);
      const xml = await untilComplete(url, batchId, client, token);
      if (xmlField(xml, 'status') !== 'complete' || xmlField(xml, 'failedUpdates') !== '0')
        throw new Error(`batch did not complete cleanly: ${xml}`);
    }),
  );
  return (performance.now() - started) / 1000;
}

let output: string;
try {
  const file = path.join(work, 'batch.txt');
  await writeBulkFile(file, { rows, attributes: 10, keyColumn: 'pcId' });
  const half = path.join(work, 'half.txt');
  await writeBulkFile(half, { rows: rows / 2, attributes: 10, keyColumn: 'pcId' });

  // Bulk, 1 process. Its database then holds the profiles the single updates write to.
  const mainUrl = await postgres.createDatabase();
  const one = await serve(mainUrl, 1);
  const token = secretFromDataDir(one.dataDir, 'DEMO_TOKEN')!;
  log(`bulk: ${rows} rows, 1 process`);
  const bulkOne = await timedBulk(one.url, token, [{ client: 'demo', file }]);

  // Bulk, 2 processes: two clients, half the rows each, sent at once.
  const bulkUrl = await postgres.createDatabase();
  const pair = await serve(bulkUrl, 2);
  const pairToken = secretFromDataDir(pair.dataDir, 'DEMO_TOKEN')!;
  await fetch(`${pair.url}/admin/v1/clients/demo2`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ requireAuth: false }),
  });
  log(`bulk: ${rows} rows as two batches, serve --workers 2`);
  const bulkTwo = await timedBulk(pair.url, pairToken, [
    { client: 'demo', file: half },
    { client: 'demo2', file: half },
  ]);
  await pair.stop();

  log('raw pg bulk: COPY + merge');
  const raw = await rawPgBulk(file, await createDatabaseOn(postgres.adminUrl));

  // Single updates: 1 process and 2 worker processes on the same database, interleaved, plus raw pg.
  const two = await serve(mainUrl, 2);
  const ids = Array.from({ length: Math.min(rows, 50_000) }, (_, i) => bulkKey(i));
  const update = (n: number) => ({ path: `/m2/demo/profile/update?mboxPC=${ids[(n * 7919) % ids.length]}&profile.x=v${n}` });
  const headers = { authorization: `Bearer ${token}` };
  const results: Record<'one' | 'two', LoadResult[]> = { one: [], two: [] };
  const rawRates: number[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    for (const [label, node] of [
      ['one', one],
      ['two', two],
    ] as const) {
      log(`single update round ${round + 1}/${settings.rounds}: ${label}`);
      results[label].push(
        await runLoad({
          url: node.url,
          ...settings,
          warmupSeconds: round === 0 ? Math.max(settings.warmupSeconds, STEADY_STATE_WARMUP_SECONDS) : 0,
          serverPid: node.pid,
          databasePid: postgres.pid,
          headers,
          request: update,
        }),
      );
    }
    log(`single update round ${round + 1}/${settings.rounds}: raw pg`);
    rawRates.push(await rawPgSingleUpdates(mainUrl, ids, settings.durationSeconds));
  }
  await one.stop();
  await two.stop();

  const failures = [...results.one, ...results.two].reduce((sum, r) => sum + r.non2xx + r.errors, 0);
  if (failures > 0) throw new Error(`${failures} single updates failed under load`);
  const best1 = leastDisturbed(results.one);
  const best2 = leastDisturbed(results.two);
  const single1 = best1.requestsPerSecond;
  const single2 = best2.requestsPerSecond;
  const cpuLine = (label: string, result: LoadResult) => {
    const cpu = result.cpu;
    if (!cpu || cpu.database === null) return `- ${label}: CPU per update n/a`;
    const us = (cores: number) => `${Math.round((cores * 1e6) / result.requestsPerSecond)} µs`;
    return `- ${label}: CPU per update — server ${us(cpu.server)}, PostgreSQL ${us(cpu.database)}, load generator ${us(cpu.loadGenerator)}, others ${us(cpu.others)}`;
  };
  // What two processes could reach on this machine at best, from the 1-process costs: either both
  // server processes run flat out, or every core is busy with servers, PostgreSQL and the load generator.
  const ceiling = (() => {
    const cpu = best1.cpu;
    if (!cpu || cpu.database === null || single1 === 0) return null;
    const perRequest = (cores: number) => cores / single1;
    const server = perRequest(cpu.server);
    const everything = server + perRequest(cpu.database) + perRequest(cpu.loadGenerator);
    return Math.min(2 / server, os.availableParallelism() / everything) / single1;
  })();
  const rawSingle = Math.max(...rawRates);
  const rate1 = rows / bulkOne;
  const rate2 = rows / bulkTwo;
  const rawRate = raw.rows / raw.seconds;
  const verdict = (ok: boolean) => (ok ? 'met' : 'not met');
  output = [
    '## PostgreSQL',
    '',
    `\`node --import tsx bench/postgres.bench.ts --rows ${rows}\` — ${machineSummary()}; throwaway PostgreSQL (fsync=off) on the same machine.`,
    '',
    markdownTable(
      ['measure', '1 process', '2 processes', 'raw pg', 'ratios'],
      [
        [
          `bulk, ${rows.toLocaleString('en-US')} rows × 10 attributes (POST → complete)`,
          `${bulkOne.toFixed(2)} s, ${formatRate(rate1)} rows/s`,
          `${bulkTwo.toFixed(2)} s, ${formatRate(rate2)} rows/s`,
          `${raw.seconds.toFixed(2)} s, ${formatRate(rawRate)} rows/s`,
          `1p/raw **${(rate1 / rawRate).toFixed(2)}×** (aim ≥ 0.3×: ${verdict(rate1 / rawRate >= 0.3)}), 2p/raw ${(rate2 / rawRate).toFixed(2)}×`,
        ],
        [
          `single update, ${settings.connections} connections`,
          `${formatRate(single1)} req/s`,
          `${formatRate(single2)} req/s`,
          `${formatRate(rawSingle)} writes/s (20 connections)`,
          `2p/1p **${(single2 / single1).toFixed(2)}×** (aim ≥ 1.5×: ${verdict(single2 / single1 >= 1.5)}), 1p/raw ${(single1 / rawSingle).toFixed(2)}×`,
        ],
      ],
    ),
    '',
    `- single update rounds: 1 process ${results.one.map((r) => formatRate(r.requestsPerSecond)).join(' · ')}; ` +
      `2 processes ${results.two.map((r) => formatRate(r.requestsPerSecond)).join(' · ')}; raw ${rawRates.map(formatRate).join(' · ')}`,
    cpuLine('1 process', best1),
    cpuLine('2 processes', best2),
    ceiling === null
      ? '- ceiling for 2 processes: n/a'
      : `- ceiling for 2p/1p on this machine, from the 1-process CPU costs: **${ceiling.toFixed(2)}×** ` +
        `(min of 2 servers flat out, or all ${os.availableParallelism()} cores busy with servers + PostgreSQL + load generator); measured ${(single2 / single1).toFixed(2)}×`,
    `- machine load average (1 min) at the end: ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs`,
    '',
  ].join('\n');
} finally {
  for (const node of started) await node.stop();
  await postgres.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
process.stdout.write(output + '\n');
