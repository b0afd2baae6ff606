/**
 * Foundation benchmark (issue 2): single profile update and profile fetch at 50 connections,
 * next to a bare node:http server answering a constant, measured in the same run.
 *   npm run bench -- foundation        (BENCH_PROFILES, BENCH_DURATION_SECONDS, … to adjust)
 */
import { type LoadResult, type RequestShape, runLoad } from './support/load.js';
import { peakRssBytes, resetPeakRss } from './support/memory.js';
import { type ServerProcess, startBareNode } from './support/processes.js';
import { seedProfiles, startProfileEdge, type ProfileEdgeProcess } from './support/profile-edge-server.js';
import {
  formatCpu,
  formatMiB,
  formatMs,
  formatRate,
  formatRatio,
  judgeAim,
  leastDisturbed,
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
  /** Every round's result, in order, for the transparency line under the table. */
  rounds: LoadResult[];
  peakRss: number | null;
}

const log = (line: string) => process.stderr.write(`[foundation] ${line}\n`);

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

interface Scenario {
  label: string;
  server: ServerProcess;
  headers?: Record<string, string>;
  request: (n: number) => RequestShape;
  /** Runs after each measured round. */
  verify?: () => Promise<void>;
}

/** Measures every scenario `rounds` times, interleaved, keeping the least disturbed round of each. */
async function measure(scenarios: readonly Scenario[]): Promise<Row[]> {
  const rounds: LoadResult[][] = scenarios.map(() => []);
  const peaks: Array<number | null> = scenarios.map(() => null);
  for (let round = 0; round < settings.rounds; round++) {
    for (const [index, scenario] of scenarios.entries()) {
      log(`round ${round + 1}/${settings.rounds}: ${scenario.label}`);
      resetPeakRss(scenario.server.pid);
      const result = await runLoad({
        url: scenario.server.url,
        ...settings,
        warmupSeconds: round === 0 ? settings.warmupSeconds : 0,
        serverPid: scenario.server.pid,
        headers: scenario.headers,
        request: scenario.request,
      });
      await scenario.verify?.();
      rounds[index]!.push(result);
      const peak = peakRssBytes(scenario.server.pid);
      if (peak !== null) peaks[index] = Math.max(peaks[index] ?? 0, peak);
    }
  }
  return scenarios.map((scenario, index) => ({
    label: scenario.label,
    result: leastDisturbed(rounds[index]!),
    rounds: rounds[index]!,
    peakRss: peaks[index]!,
  }));
}

const bare = await startBareNode();
const server = await startProfileEdge();
let rows: Row[];
try {
  log(`bare node:http on ${bare.url}, profile-edge on ${server.url}; seeding ${profileCount} profiles through the admin API`);
  const seedMs = await seedProfiles(server, CLIENT, tntIds, (_id, i) => ({
    tier: i % 3 === 0 ? 'gold' : 'silver',
    city: `city-${i % 97}`,
    visits: String(i % 50),
    x: '0',
  }));
  log(`seeded in ${(seedMs / 1000).toFixed(1)} s (${formatRate((profileCount * 1000) / seedMs)} profiles/s)`);
  await checkRequestsWork(server);

  const headers = { authorization: `Bearer ${server.demoToken}` };
  rows = await measure([
    { label: 'bare node:http, constant reply', server: bare, request: () => ({ path: '/' }) },
    {
      label: 'single update (GET /m2/…/profile/update)',
      server,
      headers,
      request: (n) => ({ path: `/m2/${CLIENT}/profile/update?mboxPC=${idFor(n)}&profile.x=v${n}` }),
      // Requests 0, N, 2N, … write idFor(0) with x=v<n>; the seeded value was '0'.
      verify: async () => {
        const written = await fetchAttribute(server, idFor(0), 'x');
        if (!/^v\d+$/.test(written ?? '') || Number(written!.slice(1)) % profileCount !== 0) {
          throw new Error(`updates under load did not land: ${idFor(0)} has x=${written}`);
        }
      },
    },
    {
      label: 'fetch (GET /rest/v1/profiles/…)',
      server,
      headers,
      request: (n) => ({ path: `/rest/v1/profiles/${idFor(n)}?client=${CLIENT}` }),
    },
  ]);
} catch (err) {
  process.stderr.write(`--- profile-edge output ---\n${server.output()}\n`);
  throw err;
} finally {
  await bare.stop();
  await server.dispose();
}

const [baseline, update, fetched] = rows as [Row, Row, Row];
const base = baseline.result.requestsPerSecond;
const failuresOf = (result: LoadResult) => result.non2xx + result.errors;
const table = markdownTable(
  [
    'Server / request',
    'req/s',
    'p50',
    'p99',
    '× bare node',
    'non-2xx',
    'errors',
    'peak RSS',
    'server CPU per request',
    'CPU server / load gen / others',
  ],
  rows.map(({ label, result, peakRss }) => [
    label,
    formatRate(result.requestsPerSecond),
    formatMs(result.p50Ms),
    formatMs(result.p99Ms),
    formatRatio(ratioTo(base, result.requestsPerSecond)),
    String(result.non2xx),
    String(result.errors),
    formatMiB(peakRss),
    result.cpu ? `${Math.round((result.cpu.server * 1e6) / result.requestsPerSecond)} µs` : 'n/a',
    formatCpu(result.cpu),
  ]),
);
const verdicts = (
  [
    [AIMS.update, update],
    [AIMS.fetch, fetched],
  ] as const
).map(([aim, row]) => {
  const verdict = judgeAim(aim, {
    ratio: ratioTo(base, row.result.requestsPerSecond),
    p99Ms: row.result.p99Ms,
    failures: row.rounds.reduce((sum, round) => sum + failuresOf(round), 0),
  });
  return `- ${aim.name} (aim ≥ ${formatRatio(aim.minRatio)} of bare node, p99 < ${formatMs(aim.maxP99Ms)}): ${verdict.text}`;
});
const allRounds = rows.map(
  ({ label, rounds }) =>
    `- ${label}: ${rounds
      .map(
        (round) =>
          `${formatRate(round.requestsPerSecond)} req/s, p99 ${formatMs(round.p99Ms)}, others ${round.cpu ? round.cpu.others.toFixed(2) : 'n/a'}`,
      )
      .join(' · ')}`,
);
const otherCodes = rows.flatMap(({ label, rounds }) =>
  rounds.flatMap((round, index) =>
    Object.entries(round.statusCodes)
      .filter(([code]) => !code.startsWith('2'))
      .map(([code, count]) => `${label}, round ${index + 1}: ${count} × ${code}`),
  ),
);

process.stdout.write(
  [
    '## Foundation',
    '',
    `${settings.connections} connections; ${settings.warmupSeconds} s warm-up, then ${settings.durationSeconds} s measured; ` +
      `${settings.rounds} rounds, interleaved (bare node, update, fetch, bare node, …), the least disturbed round of each row shown. ` +
      `${formatRate(profileCount)} profiles of 4 attributes seeded through the admin API; requests spread over all of them; ` +
      'every profile-edge request carries the demo Bearer token. Latency resolution is 1 ms.',
    '',
    table,
    '',
    ...verdicts,
    '',
    'CPU is in cores (the machine has 2): the server, the load generator, and everything else on the machine ' +
      '(other programs, and kernel threads writing the database to disk). A round where "others" is well above 0 was ' +
      'disturbed; "server CPU per request" is the figure least affected by that. All rounds:',
    '',
    ...allRounds,
    ...(otherCodes.length > 0 ? ['', `Non-2xx answers: ${otherCodes.join('; ')}`] : []),
    '',
  ].join('\n'),
);

if (rows.some(({ rounds }) => rounds.some((round) => failuresOf(round) > 0))) {
  process.stderr.write('foundation: requests failed under load; these figures are not valid\n');
  process.exitCode = 1;
}
