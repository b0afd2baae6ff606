/**
 * Micro-benchmark of server-side decisions (not a test, not part of `npm run bench`):
 *   node --import tsx bench/decide.micro.ts [--iterations 20000] [--rounds 5]
 *
 * One client with 20 live activities — 10 ab and 10 xt, their audiences on profile attributes —
 * over 3 locations; each call decides the 3 locations for one of 1,000 visitors. profile-edge's
 * `decide` (context built, conditions compiled once, allocation hashed, content and response tokens
 * produced) against Adobe's engine `getOffers` on the equivalent artifact, where the profile
 * attributes travel as mbox parameters (the engine has no profile; the conditions are the same
 * with `profile.` read as `mbox.`). Also the engine with a single ab rule, the figure of issue 12.
 * Both decide in one process, one call after the other; the least disturbed of the rounds is shown.
 */
import { availableParallelism, loadavg } from 'node:os';
import { equivalentArtifact } from '../test/support/decisioning-artifact.js';
import { createEngine, type Json } from '../test/support/decisioning-engine.js';
import { type StoredActivity, validateActivity } from '../src/features/decisioning/activity.js';
import { compileActivities } from '../src/features/decisioning/compiled-activities.js';
import { decide, type LocationRequest, type Mode, type Visit } from '../src/features/decisioning/decide.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const ITERATIONS = option('iterations', 20_000);
const ROUNDS = option('rounds', 5);
const CLIENT = 'benchclient';
const KEY = 'bench-event-token-key-0000000000000';
const LOCATIONS = ['hero', 'banner', 'footer'];
const SEGMENTS = ['gold', 'silver', 'bronze', 'new', 'returning'];

function offers(i: number, experience: string): Record<string, unknown> {
  // Each activity offers on one to three of the locations.
  const at = LOCATIONS.filter((_, l) => (i + l) % 3 !== 2 || i % 2 === 0);
  return Object.fromEntries(
    at.map((location) => [location, { type: 'html', content: `<div class="${location}">${i}/${experience}</div>` }]),
  );
}

function activities(): StoredActivity[] {
  const list: StoredActivity[] = [];
  for (let i = 0; i < 10; i++) {
    const raw = {
      name: `AB ${i}`,
      type: 'ab',
      state: 'live',
      priority: (i * 7) % 10,
      audience: {
        and: [{ '==': [{ var: 'profile.segment' }, SEGMENTS[i % SEGMENTS.length]] }, { '>=': [{ var: 'profile.visits' }, i % 4] }],
      },
      experiences: [
        { id: 'A', allocation: 50, offers: offers(i, 'A') },
        { id: 'B', allocation: 50, offers: offers(i, 'B') },
      ],
      metrics: [{ name: 'buy', type: 'click', location: 'buy' }],
    };
    list.push({ ...validateActivity(raw), id: `ab-${i}`, version: 1 });
  }
  for (let i = 0; i < 10; i++) {
    const raw = {
      name: `XT ${i}`,
      type: 'xt',
      state: 'live',
      priority: (i * 3) % 10,
      audience: { in: [{ var: 'profile.country' }, ['FR', 'DE', 'US', 'GB'].slice(0, 1 + (i % 4))] },
      experiences: [
        { id: 'loyal', audience: { '>': [{ var: 'profile.visits' }, 5 + i] }, offers: offers(i + 10, 'loyal') },
        { id: 'big', audience: { '>=': [{ var: 'profile.spend' }, 100 * (i + 1)] }, offers: offers(i + 10, 'big') },
        { id: 'rest', offers: offers(i + 10, 'rest') },
      ],
    };
    list.push({ ...validateActivity(raw), id: `xt-${i}`, version: 1 });
  }
  return list;
}

/** The same conditions for the engine, reading the attributes from the mbox parameters. */
function asMboxConditions(activity: StoredActivity): StoredActivity {
  return JSON.parse(JSON.stringify(activity).replaceAll('"profile.', '"mbox.'));
}

interface Visitor {
  tntId: string;
  attributes: Map<string, string>;
}

function visitors(count: number): Visitor[] {
  return Array.from({ length: count }, (_, i) => ({
    tntId: `visitor-${i}-${(i * 2654435761) % 1_000_003}`,
    attributes: new Map([
      ['segment', SEGMENTS[i % SEGMENTS.length]!],
      ['visits', String(i % 12)],
      ['spend', String((i * 37) % 1200)],
      ['country', ['FR', 'DE', 'US', 'GB', 'IT'][i % 5]!],
      ['name', `Visitor ${i}`],
    ]),
  }));
}

const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const CONTEXT = {
  userAgent: USER_AGENT,
  address: { url: 'https://www.shop.example/products/shoes?ref=mail', referringUrl: 'https://mail.example.com/' },
};

/**
 * µs per call of each function, the least disturbed of the rounds; the rounds of the two are
 * interleaved, so that a neighbour's load hits both alike.
 */
async function timeInterleaved(ours: (i: number) => unknown, engine: (i: number) => Promise<unknown>): Promise<[number, number]> {
  for (let i = 0; i < Math.min(2000, ITERATIONS); i++) {
    ours(i);
    await engine(i);
  }
  const samples: [number[], number[]] = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    let start = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) ours(i);
    samples[0].push(Number(process.hrtime.bigint() - start) / 1000 / ITERATIONS);
    start = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) await engine(i);
    samples[1].push(Number(process.hrtime.bigint() - start) / 1000 / ITERATIONS);
  }
  return [Math.min(...samples[0]), Math.min(...samples[1])];
}

/** A live activity at a location no request asks for, whose audience reads the whole context. */
const READS_EVERYTHING: StoredActivity = {
  ...validateActivity({
    name: 'Reads everything',
    type: 'xt',
    state: 'live',
    audience: { '!!': [{ var: '' }] },
    experiences: [{ id: 'x', offers: { elsewhere: { type: 'html', content: 'x' } } }],
  }),
  id: 'reads-everything',
  version: 1,
};

interface Case {
  name: string;
  activities: StoredActivity[];
  locations: string[];
  mode: Mode;
  /** The engine's domain parser: the Node.js SDK's public-suffix list, or the engine's default. */
  domainParser: 'psl' | 'basic';
}

async function measure(c: Case, people: Visitor[]): Promise<string[]> {
  const index = compileActivities(c.activities, { client: CLIENT, eventTokenKey: KEY });
  const locations: LocationRequest[] = c.locations.map((name, i) => ({ mode: c.mode, kind: 'mbox', name, index: i }));
  const visits: Visit[] = people.map((person) => ({
    ids: { tntId: person.tntId },
    sessionId: 'session-1',
    attributes: person.attributes,
    context: CONTEXT,
    now: Date.now(),
  }));
  const requests: Json[] = people.map((person) => ({
    id: { tntId: person.tntId },
    context: { channel: 'web', ...CONTEXT },
    [c.mode]: { mboxes: c.locations.map((name, i) => ({ index: i, name, parameters: Object.fromEntries(person.attributes) })) },
  }));
  const engine = await createEngine(CLIENT, equivalentArtifact(CLIENT, c.activities.map(asMboxConditions), KEY), {
    domainParser: c.domainParser,
  });

  // The same decisions first: the comparison is only fair if both do the same work.
  let disagreements = 0;
  let decided = 0;
  for (let i = 0; i < people.length; i++) {
    const ours = decide(index, visits[i]!, locations).answers;
    const theirs = (await engine.getOffers(requests[i]))[c.mode].mboxes as Json[];
    for (const [l, answer] of ours.entries()) {
      const tokens = theirs[l]?.options?.[0]?.responseTokens;
      const same = answer.decision
        ? tokens?.['activity.id'] === answer.decision.activityId && tokens?.['experience.id'] === answer.decision.experienceId
        : tokens === undefined;
      if (!same) disagreements++;
      if (answer.decision) decided++;
    }
  }
  const [oursUs, engineUs] = await timeInterleaved(
    (i) => decide(index, visits[i % visits.length]!, locations),
    (i) => engine.getOffers(requests[i % requests.length]),
  );
  const context = index.reads === 'any' ? 'whole context' : `context: ${[...index.reads].join(', ')}`;
  return [
    c.name,
    `${oursUs.toFixed(1)} (${context})`,
    `${engineUs.toFixed(1)} (${c.domainParser} domains)`,
    `${(engineUs / oursUs).toFixed(1)}×`,
    `${decided}/${people.length * c.locations.length} decided, ${disagreements} disagreements`,
  ];
}

async function main(): Promise<void> {
  const stored = activities();
  const compileStart = process.hrtime.bigint();
  compileActivities(stored, { client: CLIENT, eventTokenKey: KEY });
  const compileMs = Number(process.hrtime.bigint() - compileStart) / 1e6;
  const people = visitors(1000);
  const single = { ...stored[0]!, audience: undefined };
  const cases: Case[] = [
    { name: '20 activities, 3 locations, execute', activities: stored, locations: LOCATIONS, mode: 'execute', domainParser: 'psl' },
    { name: '20 activities, 3 locations, prefetch', activities: stored, locations: LOCATIONS, mode: 'prefetch', domainParser: 'psl' },
    {
      name: '20 activities, 3 locations, execute',
      activities: [...stored, READS_EVERYTHING],
      locations: LOCATIONS,
      mode: 'execute',
      domainParser: 'psl',
    },
    {
      name: '20 activities, 3 locations, execute',
      activities: [...stored, READS_EVERYTHING],
      locations: LOCATIONS,
      mode: 'execute',
      domainParser: 'basic',
    },
    { name: '1 ab activity, 1 location, execute', activities: [single], locations: ['hero'], mode: 'execute', domainParser: 'basic' },
  ];
  const rows: string[][] = [];
  for (const c of cases) rows.push(await measure(c, people));

  const lines = [
    `## Decisions: profile-edge's compiled decide against Adobe's engine (${new Date().toISOString()})`,
    '',
    `Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores; ${ITERATIONS} calls a round, ${ROUNDS} rounds interleaved, least disturbed shown; 20 activities compiled in ${compileMs.toFixed(1)} ms.`,
    '',
    '| case | profile-edge µs/call | engine µs/call | engine / profile-edge | same decisions |',
    '| --- | ---: | ---: | ---: | --- |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
