/**
 * Runs every *.test.ts under src/ and test/ with node:test, several files at once. Usage:
 *   node --import tsx scripts/run-tests.ts [filter...]   (filters match file paths)
 */
import { readdirSync, statSync } from 'node:fs';
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

const filters = process.argv.slice(2);
const files = ['src', 'test']
  .flatMap((dir) => findTests(dir))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
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
