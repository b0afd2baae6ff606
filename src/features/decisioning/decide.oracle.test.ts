import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { equivalentArtifact } from '../../../test/support/decisioning-artifact.js';
import { atFixedTime, createEngine, type Json, oracleRuns, networkAttempts } from '../../../test/support/decisioning-engine.js';
import { type StoredActivity, validateActivity } from './activity.js';
import { compileActivities } from './compiled-activities.js';
import { decide, type LocationRequest } from './decide.js';

const CLIENT = 'oracleclient';
const KEY = 'decide-oracle-event-token-key-00000';
const NOW = Date.UTC(2026, 6, 1, 10);
const LOCATIONS = ['hero', 'banner', 'footer'] as const;

/** Audiences over what the engine also sees: mbox parameters, the page, the browser, the clock. */
const comparison = fc.oneof(
  fc.constantFrom('gold', 'silver', 'GOLD').map((tier) => ({ '==': [{ var: 'mbox.tier' }, tier] })),
  fc.constantFrom('gold', 'silver').map((tier) => ({ '==': [{ var: 'mbox.tier_lc' }, tier] })),
  fc.integer({ min: 18, max: 70 }).map((age) => ({ '<': [{ var: 'mbox.age' }, age] })),
  fc.constantFrom('sale', 'shoes', 'nothing').map((word) => ({ in: [word, { var: 'page.url_lc' }] })),
  fc.constantFrom('chrome', 'firefox', 'safari').map((browser) => ({ '==': [{ var: 'user.browserType' }, browser] })),
  fc.constant({ '!': [{ var: 'mbox.vip' }] }),
  fc.constant({ var: 'mbox.vip' }),
  fc.constant({ merge: [] }), // an empty array: admits nobody, wrapped or not
  fc.constant({ var: 'mbox.list' }), // an array parameter, sometimes empty
  fc.constantFrom(1, 2, 3, 4, 5, 6, 7).map((day) => ({ '!=': [{ var: 'current_day' }, day] })),
);
const audience = fc.oneof(
  { maxDepth: 2, depthIdentifier: 'audience' },
  comparison,
  fc.tuple(fc.constantFrom('and', 'or'), fc.array(comparison, { minLength: 1, maxLength: 3 })).map(([op, parts]) => ({ [op]: parts })),
);

/** Whole-hundredth shares of 100 % for n experiences, zeros included. */
const shares = (n: number) =>
  fc.array(fc.nat({ max: 10_000 }), { minLength: n - 1, maxLength: n - 1 }).map((cuts) => {
    const sorted = [0, ...cuts.sort((a, b) => a - b), 10_000];
    return sorted.slice(1).map((cut, i) => (cut - sorted[i]!) / 100);
  });

const activity = (id: string): fc.Arbitrary<StoredActivity> =>
  fc
    .record({
      type: fc.constantFrom('ab', 'xt'),
      state: fc.constantFrom('live', 'live', 'live', 'paused'),
      priority: fc.constantFrom(0, 1, 5),
      audience: fc.option(audience, { nil: undefined }),
      startsAt: fc.option(fc.constantFrom(NOW - 1, NOW, NOW + 1), { nil: undefined }),
      endsAt: fc.option(fc.constantFrom(NOW, NOW + 1, NOW + 60_000), { nil: undefined }),
      locations: fc.subarray([...LOCATIONS], { minLength: 1 }),
      experiences: fc
        .integer({ min: 1, max: 4 })
        .chain((n) => fc.tuple(shares(n), fc.array(fc.option(audience, { nil: undefined }), { minLength: n, maxLength: n }))),
      metrics: fc.boolean(),
    })
    .map((a) => {
      const [allocations, audiences] = a.experiences;
      const iso = (ms: number) => new Date(ms).toISOString();
      const raw = {
        name: `Activity ${id}`,
        type: a.type,
        state: a.state,
        priority: a.priority,
        ...(a.audience === undefined ? {} : { audience: a.audience }),
        startsAt: a.startsAt === undefined ? null : iso(a.startsAt),
        endsAt: a.endsAt === undefined || (a.startsAt !== undefined && a.endsAt <= a.startsAt) ? null : iso(a.endsAt),
        experiences: allocations.map((allocation, i) => ({
          id: `e${i}`,
          ...(a.type === 'ab' ? { allocation } : audiences[i] === undefined ? {} : { audience: audiences[i] }),
          offers: Object.fromEntries(a.locations.map((location) => [location, { type: 'html', content: `${id}/e${i}/${location}` }])),
        })),
        metrics: a.metrics ? [{ name: 'buy', type: 'click', location: 'buy-button' }] : [],
      };
      return { ...validateActivity(raw), id, version: 3 };
    });

const activities = fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => activity(`act${i}`))));

const parameters = fc.record(
  {
    tier: fc.constantFrom('gold', 'Gold', 'silver'),
    age: fc.integer({ min: 10, max: 80 }).map(String),
    vip: fc.constantFrom('true', '', 'no'),
    list: fc.constantFrom([], ['x']),
  },
  { requiredKeys: [] },
);

const request = fc.record({
  ids: fc.oneof(
    fc.uuid().map((tntId) => ({ tntId })),
    fc
      .tuple(fc.uuid(), fc.stringMatching(/^[0-9]{38}$/))
      .map(([tntId, marketingCloudVisitorId]) => ({ tntId: `${tntId}.35_0`, marketingCloudVisitorId })),
  ),
  mode: fc.constantFrom('execute' as const, 'prefetch' as const),
  url: fc.constantFrom('https://www.shop.example/sale/shoes', 'https://www.shop.example/', 'http://m.shop.example.co.uk/Sale'),
  userAgent: fc.constantFrom(
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  ),
  parameters: fc.array(parameters, { minLength: LOCATIONS.length, maxLength: LOCATIONS.length }),
});

test("decisions equal Adobe's engine on the equivalent artifact: same activity, experience, content, event tokens", async (t) => {
  let decided = 0;
  let empty = 0;
  await fc.assert(
    fc.asyncProperty(activities, request, async (stored, r) => {
      const index = compileActivities(stored, { client: CLIENT, eventTokenKey: KEY });
      const context = { userAgent: r.userAgent, address: { url: r.url } };
      const locations: LocationRequest[] = LOCATIONS.map((name, i) => ({
        mode: r.mode,
        kind: 'mbox',
        name,
        index: i,
        parameters: r.parameters[i],
      }));
      const visit = { ids: r.ids, sessionId: 's', attributes: new Map(), context, now: NOW };
      const ours = decide(index, visit, locations);
      // Building only the context parts the conditions read changes nothing.
      assert.deepEqual(decide({ ...index, reads: 'any' }, visit, locations), ours);

      const engine = await createEngine(CLIENT, equivalentArtifact(CLIENT, stored, KEY), { domainParser: 'psl' });
      const response = await atFixedTime(NOW, () =>
        engine.getOffers({
          id: r.ids,
          context: { channel: 'web', ...context },
          [r.mode]: { mboxes: LOCATIONS.map((name, i) => ({ index: i, name, parameters: r.parameters[i] })) },
        }),
      );
      const theirs: Json[] = response[r.mode].mboxes;
      for (const [i, answer] of ours.answers.entries()) {
        const mbox = theirs[i]!;
        const option = mbox.options?.[0];
        if (!answer.decision) {
          assert.equal(option, undefined, `${answer.location}: the engine decided ${JSON.stringify(option?.responseTokens)}`);
          empty++;
          continue;
        }
        assert.ok(option, `${answer.location}: only profile-edge decided ${JSON.stringify(answer.decision)}`);
        assert.equal(mbox.options.length, 1);
        assert.equal(option.responseTokens['activity.id'], answer.decision.activityId, answer.location);
        assert.equal(option.responseTokens['experience.id'], answer.decision.experienceId, answer.location);
        assert.equal(option.content, answer.options[0]!.content);
        assert.equal(option.eventToken, answer.options[0]!.eventToken, 'display token (prefetch only)');
        if (r.mode === 'execute') assert.deepEqual(mbox.metrics, answer.metrics, 'click metrics with their tokens');
        decided++;
      }
    }),
    { numRuns: oracleRuns(600) },
  );
  t.diagnostic(`${decided} decided and ${empty} undecided locations agreed with the engine`);
});

after(() => assert.deepEqual(networkAttempts, [], 'the engine never reached the network'));
