/**
 * `npm run bench [-- filter...]`: runs each `bench/*.bench.ts` (or those whose name contains a
 * filter) one after the other, each in its own process, streaming its Markdown section.
 * Exits non-zero when any bench script fails (a crash, or failed requests under load).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './support/processes.js';
import { benchSettingsFromEnv, machineSummary } from './support/settings.js';
import { selectBenchFiles } from './support/select.js';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const { selected, unmatched } = selectBenchFiles(readdirSync(benchDir), filters);
if (unmatched.length > 0 || selected.length === 0) {
  process.stderr.write(`bench: no bench script matches ${unmatched.map((f) => `'${f}'`).join(', ') || 'anything'}\n`);
  process.exit(2);
}

function runOne(file: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('bench', file)], { cwd: REPO_ROOT, stdio: 'inherit' });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const settings = benchSettingsFromEnv();
const command = `npm run bench${filters.length > 0 ? ` -- ${filters.join(' ')}` : ''}`;
process.stdout.write(
  [
    `# profile-edge benchmark run, ${new Date().toISOString()}`,
    '',
    `- Machine: ${machineSummary()}`,
    `- Command: \`${command}\``,
    `- Load: autocannon, ${settings.connections} connections, ${settings.warmupSeconds} s warm-up then ${settings.durationSeconds} s measured; ` +
      `each row measured ${settings.rounds}× interleaved, the least disturbed round reported`,
    '',
    '',
  ].join('\n'),
);

const failed: string[] = [];
for (const file of selected) {
  const code = await runOne(file);
  if (code !== 0) failed.push(`${file} (exit ${code})`);
  process.stdout.write('\n');
}
if (failed.length > 0) {
  process.stderr.write(`bench: failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
