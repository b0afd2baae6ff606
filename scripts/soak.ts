/**
 * The soak (`npm run soak -- --store sqlite|postgres --minutes N [--rate R]`): one real
 * `profile-edge serve` under a fixed, moderate rate of mixed traffic (bench/support/mixed-load.ts:
 * single updates, Delivery with profile parameters executing an activity, click notifications,
 * logins that merge, small batches, fetches) for N minutes. Profiles are created all along and
 * expire one minute after their last write (a one-minute "day" and a 1-day lifetime), so the
 * lifetime sweep deletes them while the load runs.
 *
 * Each minute it samples the server's resident memory, open file descriptors (/proc/<pid>/fd),
 * the database's size (SQLite: its file, WAL and index; PostgreSQL: pg_database_size) and the p99
 * latency of that minute's requests; at the end it prints a table and a verdict: no error, and
 * no series that keeps growing (the growth of the second half must be small next to the value, or
 * next to the growth of the first half: a warm-up that levels off passes, a leak does not).
 * Exit code 1 when the verdict fails.
 *
 * Some data is kept on purpose and grows with traffic: activity counts per visitor (reports keep
 * them after the profile is gone), counted notification ids (7 days, against replays) and batch
 * records with their failed rows. The table shows that part apart ("retained MB", from SQLite's
 * dbstat or PostgreSQL's relation sizes); the verdict on the database is on the rest.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { MixedLoad, percentile, type Sample } from '../bench/support/mixed-load.js';
import { startProfileEdge } from '../bench/support/profile-edge-server.js';
import { startPostgres, type TestPostgres } from '../test/support/postgres.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    minutes: { type: 'string', default: '15' },
    rate: { type: 'string', default: '60' },
    workers: { type: 'string', default: '8' },
    'sample-seconds': { type: 'string', default: '60' },
  },
});
const store = values.store;
if (store !== 'sqlite' && store !== 'postgres') throw new Error('--store must be sqlite or postgres');
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const sampleMs = Number(values['sample-seconds']) * 1000;

interface Row {
  minute: number;
  requests: number;
  errors: number;
  p99Ms: number;
  rssMb: number;
  fds: number;
  databaseMb: number;
  /** Kept on purpose, growing with traffic (see above). */
  retainedMb: number;
  profiles: number;
  /** The machine's 1-minute load average: latency on a shared machine says little without it. */
  load: number;
}

/** Tables that grow with traffic by design. */
const RETAINED = ['activity_impressions', 'activity_conversions', 'counted_notifications', 'batches', 'batch_failures', 'bulk_calls'];

let postgres: TestPostgres | undefined;
let databaseUrl: string | undefined;
if (store === 'postgres') {
  postgres = await startPostgres();
  databaseUrl = await postgres.createDatabase();
}
const server = await startProfileEdge({
  env: {
    PROFILE_EDGE_LOG_LEVEL: 'warn',
    PROFILE_EDGE_LIFETIME_DAY_SECONDS: '60',
    PROFILE_EDGE_SWEEP_INTERVAL_SECONDS: '10',
    ...(databaseUrl ? { PROFILE_EDGE_DATABASE_URL: databaseUrl } : {}),
  },
});
const target = { url: server.url, adminKey: server.adminKey, demoToken: server.demoToken };
const put = await fetch(`${server.url}/admin/v1/clients/demo`, {
  method: 'PUT',
  headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
  body: JSON.stringify({ profileLifetimeDays: 1 }),
});
if (!put.ok) throw new Error(`client settings: ${put.status} ${await put.text()}`);

const pgClient = databaseUrl ? new pg.Client({ connectionString: databaseUrl }) : undefined;
await pgClient?.connect();

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}
const openFds = (pid: number) => fs.readdirSync(`/proc/${pid}/fd`).length;

async function database(): Promise<{ mb: number; retainedMb: number; profiles: number }> {
  if (pgClient) {
    const { rows } = await pgClient.query<{ size: string; retained: string; profiles: string }>(
      `SELECT pg_database_size(current_database()) AS size,
              (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
                WHERE c.relkind IN ('r', 'p') AND c.relname = ANY($1)) AS retained,
              (SELECT count(*) FROM profiles) AS profiles`,
      [RETAINED],
    );
    const mb = (bytes: string) => Number(bytes) / 1024 / 1024;
    return { mb: mb(rows[0]!.size), retainedMb: mb(rows[0]!.retained), profiles: Number(rows[0]!.profiles) };
  }
  let bytes = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    const file = path.join(server.dataDir, `profile-edge.db${suffix}`);
    if (fs.existsSync(file)) bytes += fs.statSync(file).size;
  }
  // A read-only look at the row count, beside the server (WAL readers never block the writer).
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path.join(server.dataDir, 'profile-edge.db'), { readonly: true, fileMustExist: true });
  try {
    const profiles = (db.prepare('SELECT count(*) AS n FROM profiles').get() as { n: number }).n;
    // Pages of each table and of its indexes (dbstat), as the database file holds them.
    const retained = (
      db
        .prepare(
          `SELECT coalesce(sum(s.pgsize), 0) AS bytes FROM dbstat s JOIN sqlite_master m ON m.name = s.name
            WHERE m.tbl_name IN (${RETAINED.map(() => '?').join(',')})`,
        )
        .get(...RETAINED) as { bytes: number }
    ).bytes;
    return { mb: bytes / 1024 / 1024, retainedMb: retained / 1024 / 1024, profiles };
  } finally {
    db.close();
  }
}

const load = new MixedLoad(target, { workers: Number(values.workers), ratePerSecond: rate, runId: 'soak', timeoutMs: 10_000 });
await load.prepare();
let window: Sample[] = [];
load.onSample = (sample) => window.push(sample);
const rows: Row[] = [];
const errors = new Map<string, number>();

const sample = async (minute: number) => {
  const taken = window;
  window = [];
  const failed = taken.filter((s) => s.status < 200 || s.status >= 300);
  for (const s of failed) errors.set(`${s.operation} ${s.status}`, (errors.get(`${s.operation} ${s.status}`) ?? 0) + 1);
  const db = await database();
  const row: Row = {
    minute,
    requests: taken.length,
    errors: failed.length,
    p99Ms: percentile(
      taken.map((s) => s.ms),
      99,
    ),
    rssMb: rssMb(server.pid),
    fds: openFds(server.pid),
    databaseMb: db.mb,
    retainedMb: db.retainedMb,
    profiles: db.profiles,
    load: os.loadavg()[0]!,
  };
  rows.push(row);
  process.stdout.write(`${formatRow(row)}\n`);
};

function formatRow(row: Row): string {
  return `| ${row.minute} | ${row.requests} | ${row.errors} | ${row.p99Ms.toFixed(1)} | ${row.rssMb.toFixed(1)} | ${row.fds} | ${row.databaseMb.toFixed(2)} | ${row.retainedMb.toFixed(2)} | ${row.profiles} | ${row.load.toFixed(1)} |`;
}

process.stdout.write(
  `soak: ${store}, ${minutes} min at ${rate} requests/s, ${os.availableParallelism()} cores; server pid ${server.pid}\n\n` +
    '| minute | requests | errors | p99 ms | RSS MB | open fds | database MB | retained MB | profiles | load avg |\n|---|---|---|---|---|---|---|---|---|---|\n',
);
const before = await database();
rows.push({
  minute: 0,
  requests: 0,
  errors: 0,
  p99Ms: Number.NaN,
  rssMb: rssMb(server.pid),
  fds: openFds(server.pid),
  databaseMb: before.mb,
  retainedMb: before.retainedMb,
  profiles: before.profiles,
  load: os.loadavg()[0]!,
});
process.stdout.write(`${formatRow(rows[0]!)}\n`);
load.start();
const total = Math.round((minutes * 60_000) / sampleMs);
for (let minute = 1; minute <= total; minute++) {
  await new Promise((resolve) => setTimeout(resolve, sampleMs));
  await sample(minute);
}
await load.stop();
const verdictProblems: string[] = [];
const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
if (errorCount > 0) verdictProblems.push(`${errorCount} errors: ${JSON.stringify(Object.fromEntries(errors))}`);

/**
 * A series levels off when the growth over its second half is at most 10 % of its middle value,
 * or at most half the growth of its first half. Minute 0 (before any load) is left out.
 */
function levelsOff(name: string, series: number[]): string {
  const measured = series.slice(1);
  if (measured.length < 4) return `${name}: too few samples`;
  const first = measured[0]!;
  const middle = measured[Math.floor(measured.length / 2)]!;
  const last = measured[measured.length - 1]!;
  const ok = last - middle <= Math.max(0.1 * middle, 0.5 * (middle - first));
  const text = `${name}: ${first.toFixed(1)} → ${middle.toFixed(1)} → ${last.toFixed(1)}`;
  if (!ok) verdictProblems.push(`${text} keeps growing`);
  return text;
}
const trends = [
  levelsOff(
    'RSS MB',
    rows.map((r) => r.rssMb),
  ),
  levelsOff(
    'open fds',
    rows.map((r) => r.fds),
  ),
  levelsOff(
    'database MB without the retained data',
    rows.map((r) => r.databaseMb - r.retainedMb),
  ),
  levelsOff(
    'p99 ms',
    rows.map((r) => r.p99Ms),
  ),
];
const deleted = rows.some((row, i) => i > 1 && row.profiles < rows[i - 1]!.profiles);
if (!deleted) verdictProblems.push('the profile count never went down: the sweep deleted nothing');
const requests = rows.reduce((sum, row) => sum + row.requests, 0);
process.stdout.write(
  `\n${requests} requests (${(requests / (minutes * 60)).toFixed(1)}/s), merges ${load.ledger.merges.size}, batches ${load.ledger.batches.size}, ` +
    `profiles deleted by the sweep: ${deleted ? 'yes' : 'no'}\n${trends.join('; ')}\n` +
    `retained data (counts per visitor, notification ids, batch records): ${rows[1]!.retainedMb.toFixed(2)} → ${rows.at(-1)!.retainedMb.toFixed(2)} MB, ` +
    `${(((rows.at(-1)!.retainedMb - rows[1]!.retainedMb) * 1024) / Math.max(1, rows.length - 2)).toFixed(1)} KB per sample, by design\n` +
    `verdict: ${verdictProblems.length === 0 ? 'PASS (no error, every series levels off)' : `FAIL\n- ${verdictProblems.join('\n- ')}`}\n`,
);
await pgClient?.end();
await server.dispose();
await postgres?.stop();
process.exit(verdictProblems.length === 0 ? 0 : 1);
