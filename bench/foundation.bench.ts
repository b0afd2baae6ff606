/**
 * Foundation benchmark (issue 2): single profile update and profile fetch at 50 connections,
 * next to a bare node:http server answering a constant, measured in the same run.
 *   npm run bench -- foundation        (BENCH_PROFILES, BENCH_DURATION_SECONDS, … to adjust)
 */
import { type LoadResult, runLoad } from './support/load.js';
import { peakRssBytes, resetPeakRss } from './support/memory.js';
import { startBareNode } from './support/processes.js';
import { seedProfiles, startProfileEdge, type ProfileEdgeProcess } from './support/profile-edge-server.js';
import {
  formatCpu,
  formatMiB,
  formatMs,
  formatRate,
  formatRatio,
  judgeAim,
  markdownTable,
  ratioTo,
  type Aim,
} from './support/report.js';
import { benchSettingsFromEnv, positiveIntegerFromEnv } from './support/settings.js';

const settings = benchSettingsFromEnv();
const profileCount = positiveIntegerFromEnv(process.env, 'BENCH_PROFILES', 10_000);
const CLIENT = 'demo';
const AIMS = {
  update: { name: 'single update', minRatio: 0.3, maxP99Ms: 20 },
  fetch: { name: 'fetch', minRatio: 0.5, maxP99Ms: 20 },
} satisfies Record<string, Aim>;

const tntIds = Array.from({ length: profileCount }, (_, i) => `bench${String(i).padStart(7, '0')}`);
/** Spreads consecutive requests over the seeded profiles (a prime stride visits every one). */
const STRIDE = 7919;
const idFor = (n: number) => tntIds[(n * STRIDE) % tntIds.length]!;

interface Row {
  label: string;
  result: LoadResult;
  peakRss: number | null;
}

const rows: Row[] = [];
const log = (line: string) => process.stderr.write(`[foundation] ${line}\n`);

async function measureBaseline(): Promise<Row> {
  const bare = await startBareNode();
  try {
    log(`bare node:http on ${bare.url}`);
    const result = await runLoad({ url: bare.url, ...settings, serverPid: bare.pid, request: () => ({ path: '/' }) });
    return { label: 'bare node:http, constant reply', result, peakRss: peakRssBytes(bare.pid) };
  } finally {
    await bare.stop();
  }
}

async function expectStatus(response: Response, status: number, what: string): Promise<string> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`${what}: expected ${status}, got ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

async function fetchAttribute(server: ProfileEdgeProcess, tntId: string, name: string): Promise<string | undefined> {
  const response = await fetch(`${server.url}/rest/v1/profiles/${tntId}?client=${CLIENT}`, {
    headers: { authorization: `Bearer ${server.demoToken}` },
  });
  const document = JSON.parse(await expectStatus(response, 200, `fetch ${tntId}`)) as {
    profileAttributes: Record<string, { value: string }>;
  };
  return document.profileAttributes[name]?.value;
}

/** The requests under load must do what they claim: an update that a fetch then sees. */
async function checkRequestsWork(server: ProfileEdgeProcess): Promise<void> {
  const id = tntIds[tntIds.length - 1]!;
  const response = await fetch(`${server.url}/m2/${CLIENT}/profile/update?mboxPC=${id}&profile.x=check`, {
    headers: { authorization: `Bearer ${server.demoToken}` },
  });
  const xml = await expectStatus(response, 200, 'single update');
  if (!xml.includes('<success>true</success>')) throw new Error(`single update did not succeed: ${xml}`);
  const value = await fetchAttribute(server, id, 'x');
  if (value !== 'check') throw new Error(`fetch after update saw x=${value}, expected 'check'`);
}

async function measureProfileEdge(): Promise<Row[]> {
  const server = await startProfileEdge();
  try {
    log(`profile-edge on ${server.url}; seeding ${profileCount} profiles through the admin API`);
    const seedMs = await seedProfiles(server, CLIENT, tntIds, (_id, i) => ({
      tier: i % 3 === 0 ? 'gold' : 'silver',
      city: `city-${i % 97}`,
      visits: String(i % 50),
      x: '0',
    }));
    log(`seeded in ${(seedMs / 1000).toFixed(1)} s (${formatRate((profileCount * 1000) / seedMs)} profiles/s)`);
    await checkRequestsWork(server);

    const headers = { authorization: `Bearer ${server.demoToken}` };
    const measured: Row[] = [];

    resetPeakRss(server.pid);
    log('single update');
    const update = await runLoad({
      url: server.url,
      ...settings,
      serverPid: server.pid,
      headers,
      request: (n) => ({ path: `/m2/${CLIENT}/profile/update?mboxPC=${idFor(n)}&profile.x=v${n}` }),
    });
    measured.push({ label: 'single update (GET /m2/…/profile/update)', result: update, peakRss: peakRssBytes(server.pid) });
    // Request 0 of the warm-up and of the measured run both wrote idFor(0).
    const written = await fetchAttribute(server, idFor(0), 'x');
    if (written === '0') throw new Error(`updates under load did not land: ${idFor(0)} still has x=0`);

    resetPeakRss(server.pid);
    log('fetch');
    const fetched = await runLoad({
      url: server.url,
      ...settings,
      serverPid: server.pid,
      headers,
      request: (n) => ({ path: `/rest/v1/profiles/${idFor(n)}?client=${CLIENT}` }),
    });
    measured.push({ label: 'fetch (GET /rest/v1/profiles/…)', result: fetched, peakRss: peakRssBytes(server.pid) });
    return measured;
  } catch (err) {
    process.stderr.write(`--- profile-edge output ---\n${server.output()}\n`);
    throw err;
  } finally {
    await server.dispose();
  }
}

const baseline = await measureBaseline();
rows.push(baseline, ...(await measureProfileEdge()));

const base = baseline.result.requestsPerSecond;
const failuresOf = (result: LoadResult) => result.non2xx + result.errors;
const table = markdownTable(
  ['Server / request', 'req/s', 'p50', 'p99', '× bare node', 'non-2xx', 'errors', 'peak RSS', 'CPU server / load gen / others'],
  rows.map(({ label, result, peakRss }) => [
    label,
    formatRate(result.requestsPerSecond),
    formatMs(result.p50Ms),
    formatMs(result.p99Ms),
    formatRatio(ratioTo(base, result.requestsPerSecond)),
    String(result.non2xx),
    String(result.errors),
    formatMiB(peakRss),
    formatCpu(result.cpu),
  ]),
);
const [, update, fetched] = rows as [Row, Row, Row];
const verdicts = [
  [AIMS.update, update],
  [AIMS.fetch, fetched],
].map(([aim, row]) => {
  const { result } = row as Row;
  const verdict = judgeAim(aim as Aim, {
    ratio: ratioTo(base, result.requestsPerSecond),
    p99Ms: result.p99Ms,
    failures: failuresOf(result),
  });
  return `- ${(aim as Aim).name} (aim ≥ ${formatRatio((aim as Aim).minRatio)}, p99 < ${formatMs((aim as Aim).maxP99Ms)}): ${verdict.text}`;
});
const otherCodes = rows.flatMap(({ label, result }) =>
  Object.entries(result.statusCodes)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, count]) => `${label}: ${count} × ${code}`),
);

process.stdout.write(
  [
    '## Foundation',
    '',
    `${settings.connections} connections, ${settings.warmupSeconds} s warm-up then ${settings.durationSeconds} s per row; ` +
      `${formatRate(profileCount)} seeded profiles of 4 attributes, requests spread over all of them; ` +
      'every profile-edge request carries the demo Bearer token.',
    'CPU is in cores (2 = the whole machine); "others" is everything else on the machine during the row: ' +
      'when it is well above 0 the row was disturbed and should be measured again.',
    '',
    table,
    '',
    ...verdicts,
    ...(otherCodes.length > 0 ? ['', `Non-2xx answers: ${otherCodes.join('; ')}`] : []),
    '',
  ].join('\n'),
);

if (rows.some(({ result }) => failuresOf(result) > 0)) {
  process.stderr.write('foundation: requests failed under load; these figures are not valid\n');
  process.exitCode = 1;
}
