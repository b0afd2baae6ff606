/**
 * Runs every *.test.ts under src/ and test/ with node:test, several files at once. Usage:
 *   node --import tsx scripts/run-tests.ts [--quick] [filter...]   (filters match file paths)
 *
 * `--quick` (`npm run test:quick`) is the development lane: SQLite only, no PostgreSQL server, no
 * multi-process or crash runs, under a minute. `npm test` (and CI) runs every file.
 * `--faults` (`npm run faults`) runs only the fault files (RELIABILITY.md), each at its long
 * setting (TEST_FAULTS=long: more kill rounds).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) found.push(...findTests(full));
    else if (entry.endsWith('.test.ts')) found.push(full);
  }
  return found;
}

/** Slow files left out of the quick lane: real processes killed, restarted or driven by the CLI, 50 MB bodies. */
const SLOW_FILES = [
  'test/activities-crash.test.ts',
  'test/activity-cli.test.ts',
  'test/batch-cli.test.ts',
  'test/batch-crash.test.ts',
  'test/crash-load.test.ts',
  'test/batch-limits.test.ts',
  'test/datastream-cli.test.ts',
  'test/batch-upload-siblings.test.ts',
  'test/bench-support.test.ts',
  'test/delivery-cross-process.test.ts',
  'test/script-cli.test.ts',
  'test/server-process.test.ts',
];

/** The fault runs of RELIABILITY.md: disk full, PostgreSQL outages, SIGKILL under load. */
const FAULT_FILES = [
  'src/store/sqlite/group-commit.test.ts',
  'test/activities-crash.test.ts',
  'test/batch-crash.test.ts',
  'test/batch-upload-siblings.test.ts',
  'test/crash-load.test.ts',
  'test/disk-full.test.ts',
  'test/postgres-outage.test.ts',
];

/** Files that start a throwaway PostgreSQL; a file that also tests SQLite reads TEST_LANE itself. */
function needsPostgres(file: string): boolean {
  return readFileSync(file, 'utf8').includes("from './support/postgres.js'") && !file.endsWith('store-contract.test.ts');
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const faults = args.includes('--faults');
const filters = args.filter((arg) => arg !== '--quick' && arg !== '--faults');
if (quick) process.env.TEST_LANE = 'quick';
if (faults) process.env.TEST_FAULTS = 'long';
const files = ['src', 'test']
  .flatMap((dir) => findTests(dir))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .filter((file) => !quick || !(SLOW_FILES.includes(file) || needsPostgres(file)))
  .filter((file) => !faults || FAULT_FILES.includes(file))
  .sort();

const concurrency = Number(process.env.TEST_CONCURRENCY) || Math.max(2, os.availableParallelism());
let failed = false;
const stream = run({ files, concurrency, timeout: 15 * 60_000 });
stream.on('test:fail', (event) => {
  if (event.details?.type !== 'suite') failed = true;
});
stream.compose(new spec()).pipe(process.stdout);
stream.on('end', () => {
  process.exitCode = failed ? 1 : 0;
});
