import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { atFixedTime, createEngine, type Json, networkAttempts, oracleRuns } from '../../../test/support/decisioning-engine.js';
import { type StoredActivity, validateActivity } from '../decisioning/activity.js';
import { compileActivities } from '../decisioning/compiled-activities.js';
import { decide, type LocationAnswer, type LocationRequest, type Visit } from '../decisioning/decide.js';
import { decideImported, type ImportedAnswer } from './decide-imported.js';
import { compileImportedArtifact, readAdobeArtifact } from './import-artifact.js';
import { artifactEtag, artifactJson, publishArtifact } from './publish-artifact.js';

const CLIENT = 'publishclient';
const KEY = 'publish-artifact-event-token-key-0000';
const NOW = Date.UTC(2026, 6, 1, 10);
const MBOXES = ['hero', 'banner'] as const;
const VIEWS = ['home', 'cart'] as const;
const LOCATIONS = [...MBOXES, 'target-global-mbox', ...VIEWS.map((view) => `view:${view}`)];
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

/** Audiences over what the device also sees, and now and then the profile (the device cannot). */
const comparison = fc.oneof(
  fc.constantFrom('gold', 'silver').map((tier) => ({ '==': [{ var: 'mbox.tier' }, tier] })),
  fc.integer({ min: 18, max: 70 }).map((age) => ({ '<': [{ var: 'mbox.age' }, age] })),
  fc.constantFrom('sale', 'shoes').map((word) => ({ in: [word, { var: 'page.url_lc' }] })),
  fc.constantFrom('chrome', 'firefox').map((browser) => ({ '==': [{ var: 'user.browserType' }, browser] })),
  fc.constant({ merge: [] }),
  fc.constantFrom(1, 2, 3, 4, 5, 6, 7).map((day) => ({ '!=': [{ var: 'current_day' }, day] })),
);
const audience = fc.oneof(
  { maxDepth: 2, depthIdentifier: 'audience' },
  comparison,
  fc.tuple(fc.constantFrom('and', 'or'), fc.array(comparison, { minLength: 1, maxLength: 3 })).map(([op, parts]) => ({ [op]: parts })),
);
const profileAudience = fc.constantFrom('gold', 'silver').map((tier) => ({ '==': [{ var: 'profile.tier' }, tier] }));

const shares = (n: number) =>
  fc.array(fc.nat({ max: 10_000 }), { minLength: n - 1, maxLength: n - 1 }).map((cuts) => {
    const sorted = [0, ...cuts.sort((a, b) => a - b), 10_000];
    return sorted.slice(1).map((cut, i) => (cut - sorted[i]!) / 100);
  });

const activity = (id: string, withProfile: boolean): fc.Arbitrary<StoredActivity> =>
  fc
    .record({
      type: fc.constantFrom('ab', 'xt'),
      state: fc.constantFrom('live', 'live', 'live', 'paused'),
      priority: fc.constantFrom(0, 1, 5),
      audience: fc.option(withProfile ? fc.oneof(audience, profileAudience) : audience, { nil: undefined, freq: 2 }),
      startsAt: fc.option(fc.constantFrom(NOW - 1, NOW + 1), { nil: undefined }),
      endsAt: fc.option(fc.constantFrom(NOW, NOW + 60_000), { nil: undefined }),
      locations: fc.subarray(LOCATIONS, { minLength: 1 }),
      experiences: fc
        .integer({ min: 1, max: 3 })
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
          offers: Object.fromEntries(
            a.locations.map((location) => [location, { type: 'html', content: `<b>\${campaign.name}</b> ${id}/e${i}/${location}` }]),
          ),
        })),
        metrics: a.metrics ? [{ name: 'buy', type: 'click', location: 'buy-button' }] : [],
      };
      return { ...validateActivity(raw), id, version: 2 };
    });

const activities = (withProfile: boolean) =>
  fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => activity(`act${i}`, withProfile))));

const request = fc.record({
  tntId: fc.uuid(),
  mode: fc.constantFrom('execute' as const, 'prefetch' as const),
  url: fc.constantFrom('https://www.shop.example/sale/shoes', 'https://www.shop.example/'),
  tier: fc.constantFrom('gold', 'silver'),
  age: fc.integer({ min: 10, max: 80 }).map(String),
  namedViews: fc.boolean(),
});

type Request = typeof request extends fc.Arbitrary<infer R> ? R : never;

function locationsOf(r: Request): LocationRequest[] {
  const parameters = { tier: r.tier, age: r.age };
  return [
    ...MBOXES.map((name, index): LocationRequest => ({ mode: r.mode, kind: 'mbox', name, index, parameters })),
    { mode: r.mode, kind: 'pageLoad', parameters },
    ...(r.namedViews
      ? VIEWS.map((name): LocationRequest => ({ mode: r.mode, kind: 'view', name, parameters }))
      : [{ mode: r.mode, kind: 'view' as const, parameters }]),
  ];
}

function visitOf(r: Request, profileTier?: string): Visit {
  const attributes = new Map(profileTier === undefined ? [] : [['tier', profileTier]]);
  return { ids: { tntId: r.tntId }, sessionId: 's', attributes, context: { userAgent: UA, address: { url: r.url } }, now: NOW };
}

async function engineAnswer(artifact: Json, r: Request): Promise<Json> {
  const engine = await createEngine(CLIENT, artifact, { domainParser: 'psl' });
  const parameters = { tier: r.tier, age: r.age };
  return atFixedTime(NOW, () =>
    engine.getOffers({
      id: { tntId: r.tntId },
      context: { channel: 'web', userAgent: UA, address: { url: r.url } },
      [r.mode]: {
        mboxes: MBOXES.map((name, index) => ({ index, name, parameters })),
        pageLoad: { parameters },
        views: r.namedViews ? VIEWS.map((name) => ({ name, parameters })) : [{ parameters }],
      },
    }),
  );
}

/** The engine's option against profile-edge's answer: same activity, experience, content, event token. */
function assertSameOption(theirs: Json | undefined, ours: LocationAnswer, where: string): void {
  const option = ours.options[0];
  if (!ours.decision) {
    assert.equal(theirs, undefined, `${where}: only the engine decided ${JSON.stringify(theirs?.responseTokens)}`);
    return;
  }
  assert.ok(theirs, `${where}: only profile-edge decided ${JSON.stringify(ours.decision)}`);
  assert.equal(theirs.responseTokens['activity.id'], ours.decision.activityId, where);
  assert.equal(theirs.responseTokens['experience.id'], ours.decision.experienceId, where);
  assert.equal(theirs.content, option!.content, where);
  assert.equal(theirs.eventToken, option!.eventToken, `${where}: display token (prefetch only)`);
}

/** decideImported over the published artifact against decide(): the very same answer. */
function assertSameImported(imported: readonly ImportedAnswer[], ours: LocationAnswer, where: string): void {
  const mine = imported.filter((answer) => answer.location === ours.location);
  if (!ours.decision) {
    assert.ok(
      mine.every((answer) => answer.options.length === 0),
      `${where}: only the imported artifact decided`,
    );
    return;
  }
  assert.equal(mine.length, 1, where);
  assert.deepEqual(
    mine[0]!.matched.map((m) => [m.activityId, m.experienceId]),
    [[ours.decision.activityId, ours.decision.experienceId]],
    where,
  );
  assert.deepEqual(mine[0]!.options, ours.options, `${where}: options, tokens included`);
  // As the engine answers: a prefetched mbox or page load carries no metrics (decide() sends the click
  // metrics), a prefetched view `metrics: []` where decide() leaves the field out.
  const metrics = mine[0]!.metrics?.length ? mine[0]!.metrics : undefined;
  if (ours.request.mode === 'prefetch' && ours.request.kind !== 'view') assert.equal(metrics, undefined, where);
  else assert.deepEqual(metrics, ours.metrics, `${where}: metrics`);
}

test("the published artifact decides on Adobe's engine as profile-edge decides: mboxes, the page load and views; imported back it decides the same", async (t) => {
  let compared = 0;
  let remote = 0;
  await fc.assert(
    fc.asyncProperty(activities(true), request, async (stored, r) => {
      const artifact = publishArtifact(CLIENT, stored, { eventTokenKey: KEY });
      const json = artifactJson(artifact);
      const index = compileActivities(stored, { client: CLIENT, eventTokenKey: KEY });
      const locations = locationsOf(r);
      const ours = decide(index, visitOf(r, 'gold'), locations);
      const response = await engineAnswer(artifact, r);
      const imported = decideImported(compileImportedArtifact(readAdobeArtifact(JSON.parse(json))), visitOf(r, 'gold'), locations);
      const part = response[r.mode];
      const remoteMboxes = new Set<string>(artifact.remoteMboxes);
      const remoteViews = new Set<string>(artifact.remoteViews);
      const isRemote = (location: string) =>
        location.startsWith('view:') ? remoteViews.has(location.slice('view:'.length)) : remoteMboxes.has(location);
      for (const answer of ours.answers) {
        const where = `${r.mode} ${answer.location}`;
        if (isRemote(answer.location)) {
          const name = answer.location.replace(/^view:/, '');
          assert.ok((answer.location.startsWith('view:') ? response.remoteViews : response.remoteMboxes).includes(name), where);
          remote++;
          continue;
        }
        if (answer.request.kind === 'pageLoad') {
          assert.ok(part.pageLoad.options.length <= 1, `${where}: one activity decides the page load`);
          assertSameOption(part.pageLoad.options[0], answer, where);
          if (r.mode === 'execute' && answer.metrics) assert.deepEqual(part.pageLoad.metrics, answer.metrics, where);
        } else if (answer.request.kind === 'view') {
          const views = (part.views ?? []).filter((view: Json) => `view:${view.name}` === answer.location);
          assert.ok(views.length <= 1 && (views[0]?.options.length ?? 0) <= 1, `${where}: one activity decides a view`);
          assertSameOption(views[0]?.options[0], answer, where);
        } else {
          const mbox = part.mboxes[answer.request.index!];
          assert.ok((mbox.options?.length ?? 0) <= 1, where);
          assertSameOption(mbox.options?.[0], answer, where);
          if (r.mode === 'execute') assert.deepEqual(mbox.metrics, answer.metrics, `${where}: click metrics`);
        }
        assertSameImported(imported.answers, answer, where);
        compared++;
      }
      if (!r.namedViews) {
        // A request of every view: the engine answers exactly the views profile-edge decides, in the same order.
        const decided = ours.answers.filter((a) => a.request.kind === 'view' && a.decision && !isRemote(a.location)).map((a) => a.location);
        assert.deepEqual(
          (part.views ?? []).filter((view: Json) => view.options.length > 0).map((view: Json) => `view:${view.name}`),
          decided,
        );
      }
    }),
    { numRuns: oracleRuns(300) },
  );
  t.diagnostic(`${compared} locations agreed (engine, imported artifact, decide), ${remote} remote`);
});

test('a location whose activity reads the profile is remote: listed in remoteMboxes, without rules, and nothing of any profile is published', () => {
  const stored = [
    {
      ...validateActivity({
        name: 'Gold members',
        type: 'xt',
        state: 'live',
        audience: { '==': [{ var: 'profile.tier' }, 'gold'] },
        experiences: [{ id: 'gold', offers: { hero: { type: 'html', content: 'Hello' }, 'view:home': { type: 'html', content: 'x' } } }],
      }),
      id: 'gold',
      version: 1,
    },
    {
      ...validateActivity({
        name: 'Greeting',
        type: 'ab',
        state: 'live',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Target token in an offer, not a template literal
        experiences: [{ id: 'a', allocation: 100, offers: { banner: { type: 'html', content: 'Hi ${profile.firstName default="you"}' } } }],
      }),
      id: 'greeting',
      version: 1,
    },
    {
      ...validateActivity({
        name: 'Plain',
        type: 'ab',
        state: 'live',
        experiences: [{ id: 'a', allocation: 100, offers: { footer: { type: 'json', content: { free: true } } } }],
      }),
      id: 'plain',
      version: 1,
    },
  ];
  const artifact = publishArtifact(CLIENT, stored, { eventTokenKey: KEY });
  assert.deepEqual(artifact.remoteMboxes, ['banner', 'hero']);
  assert.deepEqual(artifact.remoteViews, ['home']);
  assert.deepEqual(artifact.localMboxes, ['footer', 'target-global-mbox']);
  assert.deepEqual(Object.keys(artifact.rules.mboxes), ['footer', 'target-global-mbox']);
  assert.deepEqual(artifact.rules.views, {});
  const json = artifactJson(artifact);
  assert.ok(!json.includes('profile'), json);
  assert.equal(artifact.geoTargetingEnabled, false);
});

test('publishing is deterministic: the same activities in any order give the same JSON and ETag', () => {
  fc.assert(
    fc.property(activities(false), fc.integer(), (stored, seed) => {
      const shuffled = [...stored].sort((a, b) => ((a.id.charCodeAt(3) * seed) % 7) - ((b.id.charCodeAt(3) * seed) % 7));
      const one = artifactJson(publishArtifact(CLIENT, stored, { eventTokenKey: KEY }));
      const two = artifactJson(publishArtifact(CLIENT, shuffled, { eventTokenKey: KEY }));
      assert.equal(two, one);
      assert.equal(artifactEtag(two), artifactEtag(one));
      assert.match(artifactEtag(one), /^"[A-Za-z0-9_-]{32}"$/);
    }),
    { numRuns: 50 },
  );
});

test('for 1,000 visitors, the engine on the published artifact and decide() give each the same experience of an ab activity, mbox and page load', async () => {
  const stored = [
    {
      ...validateActivity({
        name: 'Three ways',
        type: 'ab',
        state: 'live',
        experiences: ['a', 'b', 'c'].map((id, i) => ({
          id,
          allocation: [33.33, 33.33, 33.34][i],
          offers: { hero: { type: 'html', content: id }, 'target-global-mbox': { type: 'html', content: `page ${id}` } },
        })),
      }),
      id: 'three',
      version: 1,
    },
  ];
  const index = compileActivities(stored, { client: CLIENT, eventTokenKey: KEY });
  const engine = await createEngine(CLIENT, publishArtifact(CLIENT, stored, { eventTokenKey: KEY }));
  const seen = new Map<string, number>();
  for (let i = 0; i < 1000; i++) {
    const tntId = `visitor-${i}.28_0`;
    const ours = decide(index, { ids: { tntId }, sessionId: 's', attributes: new Map(), now: NOW }, [
      { mode: 'execute', kind: 'mbox', name: 'hero' },
      { mode: 'execute', kind: 'pageLoad' },
    ]);
    const theirs = await engine.getOffers({ id: { tntId }, execute: { mboxes: [{ name: 'hero', index: 0 }], pageLoad: {} } });
    const experience = ours.answers[0]!.decision!.experienceId;
    assert.equal(theirs.execute.mboxes[0].options[0].responseTokens['experience.id'], experience, tntId);
    assert.equal(theirs.execute.pageLoad.options.length, 1);
    assert.equal(theirs.execute.pageLoad.options[0].content, `page ${ours.answers[1]!.decision!.experienceId}`, tntId);
    seen.set(experience, (seen.get(experience) ?? 0) + 1);
  }
  assert.deepEqual([...seen.keys()].sort(), ['a', 'b', 'c']);
});

test('an artifact published by profile-edge is accepted by the importer', () => {
  fc.assert(
    fc.property(activities(true), (stored) => {
      const artifact = readAdobeArtifact(JSON.parse(artifactJson(publishArtifact(CLIENT, stored, { eventTokenKey: KEY }))));
      assert.equal(artifact.version, '1.0.0');
      assert.equal(artifact.clientCode, CLIENT);
    }),
    { numRuns: 100 },
  );
});

after(() => assert.deepEqual(networkAttempts, [], 'the engine never reached the network'));
