/**
 * Profile scripts without HTTP (run by hand, not by `npm run bench`): the cost of one request's
 * runs through `runScripts` — the request handed to a warm sandbox, each script run, the outputs
 * back through the write rule — for the 10 scripts of bench/scripts.bench.ts together, each alone,
 * and none (the hand-over alone). Each script carries what its source reads (`readsOfSource`), as in the server.
 *
 *   node --import tsx bench/scripts.micro.ts
 */
import { performance } from 'node:perf_hooks';
import type { AttributeMap } from '../src/domain/attributes.js';
import { ClientSandbox } from '../src/features/profile-scripts/sandbox/client-sandbox.js';
import { type RunnableScript, readsOfSource, runScripts, type ScriptRequest } from '../src/features/profile-scripts/script-runs.js';
import { BENCH_SCRIPTS } from './support/scripts.js';

const sandbox = await ClientSandbox.create();
const scripts: RunnableScript[] = Object.entries(BENCH_SCRIPTS).map(([name, source]) => {
  const compiled = sandbox.compile(source);
  if (!compiled.ok) throw new Error(`${name}: ${compiled.message}`);
  return { name, version: 1, compiled: compiled.script, failed: false, reads: readsOfSource(source) };
});
const attributes: AttributeMap = new Map(
  Object.entries({
    lastCategory: 'category-3',
    cartSize: '5',
    loyaltyTier: 'gold',
    lastSeenPage: '/products/4',
    lastProduct: 'sku-17',
    'user.visits': '3',
    sessionCount: '3',
    firstSessionStart: '1764650000000',
    lastSessionStart: '1764650000000',
  }).map(([name, value]) => [name, { value, modifiedAt: 1 }]),
);
const request: ScriptRequest = {
  tntId: '0000000000000000000000000000abcd',
  sessionId: 'bench-1',
  facts: { isFirstSession: false, isNewSession: true, daysSinceLastVisit: 1, sessionCount: 3 },
  context: {
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0 Safari/537.36',
    address: { url: 'https://shop.example/products' },
  },
  now: 1764650000000,
};
const locations = [{ kind: 'mbox', name: 'hero' }];

function perCall(run: () => void, n = 20_000): number {
  for (let i = 0; i < 2_000; i++) run();
  const started = performance.now();
  for (let i = 0; i < n; i++) run();
  return ((performance.now() - started) * 1000) / n;
}

const rows: string[] = [];
const all = perCall(() => runScripts(sandbox, scripts, request, locations, attributes));
for (const script of scripts) {
  rows.push(`| ${script.name} | ${perCall(() => runScripts(sandbox, [script], request, locations, attributes)).toFixed(1)} |`);
}
const none = perCall(() => runScripts(sandbox, [], request, locations, attributes));
console.log(`| request | µs |
|---|---:|
| all 10 scripts | ${all.toFixed(1)} |
${rows.map((row) => row.replace('| ', '| one script: ')).join('\n')}
| none (hand-over only) | ${none.toFixed(1)} |`);
sandbox.dispose();
