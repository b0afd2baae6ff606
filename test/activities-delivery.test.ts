// biome-ignore-all lint/suspicious/noTemplateCurlyInString: offers hold Target tokens, ${…} in plain strings
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { allocationBucket } from '../src/features/decisioning/allocation.js';
import { type DeliveryAnswer, deliver } from './support/delivery.js';
import { admin, startTestServer, type TestServer } from './support/server.js';

/**
 * Activities deciding Delivery answers, through HTTP as at.js or a site's server calls it: offers
 * chosen from the profile after the request's own writes, tokens rendered and escaped, allocation
 * sticky and hashed as Adobe's engine hashes, response tokens per the client's list, and counting —
 * executed decisions now, prefetched ones on their display notification, conversions on click
 * notifications, a replayed notification id once. Runs on SQLite here and on PostgreSQL through
 * test/postgres-http.test.ts.
 */

let server: TestServer;

const HERO_AB = {
  name: 'Spring hero',
  type: 'ab',
  state: 'live',
  priority: 0,
  experiences: [
    {
      id: 'A',
      name: 'Control',
      allocation: 50,
      offers: { hero: { type: 'html', content: '<p>Hello ${profile.firstName default="friend"}</p>', name: 'Plain hero' } },
    },
    {
      id: 'B',
      name: 'Bold',
      allocation: 50,
      offers: { hero: { type: 'html', content: '<b>Hello ${profile.firstName default="friend"}</b>', name: 'Bold hero' } },
    },
  ],
  metrics: [{ name: 'buy', type: 'click', location: 'buy-button' }],
};

const LOYALTY_XT = {
  name: 'Gold members',
  type: 'xt',
  state: 'live',
  priority: 10,
  audience: { '==': [{ var: 'profile.tier' }, 'gold'] },
  experiences: [
    {
      id: 'gold',
      name: 'Gold',
      audience: { '>=': [{ var: 'profile.points' }, 1000] },
      offers: { hero: { type: 'json', content: { banner: 'gold', greeting: 'Hi ${profile.firstName}' } } },
    },
    {
      id: 'silver',
      name: 'Almost gold',
      offers: { hero: { type: 'redirect', content: 'https://shop.example/upgrade?from=${mbox.page}' } },
    },
  ],
  metrics: [],
};

const PAUSED = { ...HERO_AB, name: 'Paused', state: 'paused', priority: 999 };
const ENDED = { ...HERO_AB, name: 'Ended', priority: 998, endsAt: '2020-01-01T00:00:00Z', startsAt: '2019-01-01T00:00:00Z' };

async function putActivity(id: string, activity: unknown): Promise<void> {
  const response = await admin(server, 'PUT', `/admin/v1/clients/demo/activities/${id}`, activity);
  assert.ok(response.status === 200 || response.status === 201, `${id}: ${response.status} ${await response.text()}`);
}

let session = 0;
async function call(body: Record<string, unknown>): Promise<DeliveryAnswer> {
  session += 1;
  const answer = await deliver(server, `client=demo&sessionId=s${session}`, { context: { channel: 'web' }, ...body });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer;
}

const executeHero = (tntId: string, profileParameters?: Record<string, string>, parameters?: Record<string, string>) =>
  call({ id: { tntId }, execute: { mboxes: [{ index: 0, name: 'hero', profileParameters, parameters }] } });

// biome-ignore lint/suspicious/noExplicitAny: the report is asserted field by field
async function report(id: string): Promise<any> {
  const response = await admin(server, 'GET', `/admin/v1/clients/demo/activities/${id}/report`);
  assert.equal(response.status, 200);
  return response.json();
}

// biome-ignore lint/suspicious/noExplicitAny: the report is asserted field by field
const experienceOf = (document: any, id: string) => document.experiences.find((experience: { id: string }) => experience.id === id);

before(async () => {
  server = await startTestServer();
  await putActivity('hero-ab', HERO_AB);
  await putActivity('loyalty', LOYALTY_XT);
  await putActivity('paused', PAUSED);
  await putActivity('ended', ENDED);
});
after(() => server.dispose());

describe('decisions', () => {
  test('an ab activity gives each visitor the experience its allocation bucket falls in, the same on every call', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i += 1) {
      const tntId = `ab-visitor-${i}`;
      const expected = allocationBucket('demo', 'hero-ab', tntId) < 5000 ? 'A' : 'B';
      for (let repeat = 0; repeat < 2; repeat += 1) {
        const { body } = await executeHero(tntId);
        const [option] = body.execute.mboxes[0].options;
        assert.equal(option.responseTokens['experience.id'], expected, tntId);
        assert.equal(option.content, expected === 'A' ? '<p>Hello friend</p>' : '<b>Hello friend</b>');
      }
      seen.add(expected);
    }
    assert.deepEqual([...seen].sort(), ['A', 'B']);
  });

  test('a profile parameter of the call decides that call, ahead of the lower-priority activity', async () => {
    const before = await executeHero('loyal-1');
    assert.equal(before.body.execute.mboxes[0].options[0].responseTokens['activity.id'], 'hero-ab');

    const { body } = await executeHero('loyal-1', { tier: 'gold', points: '1500', firstName: 'Ada' });
    const [mbox] = body.execute.mboxes;
    assert.deepEqual(mbox.options[0].content, { banner: 'gold', greeting: 'Hi Ada' });
    assert.equal(mbox.options[0].type, 'json');
    assert.equal(mbox.options[0].responseTokens['activity.id'], 'loyalty');
    assert.equal(mbox.options[0].responseTokens['activity.decisioningMethod'], 'server-side');

    // xt: the first experience whose audience matches; mbox parameters in tokens, percent-encoded in a redirect.
    const silver = await executeHero('loyal-2', { tier: 'gold', points: '10' }, { page: 'a b&c' });
    assert.deepEqual(silver.body.execute.mboxes[0].options[0], {
      type: 'redirect',
      content: 'https://shop.example/upgrade?from=a%20b%26c',
      responseTokens: silver.body.execute.mboxes[0].options[0].responseTokens,
    });
  });

  test('values inserted into html offers are escaped', async () => {
    const { body } = await executeHero('escape-1', { firstName: '<img src=x onerror=alert(1)>' });
    assert.match(body.execute.mboxes[0].options[0].content, /Hello &lt;img src=x onerror=alert\(1\)&gt;</);
  });

  test('paused and ended activities decide nothing; a location no activity offers answers no options', async () => {
    const { body } = await call({
      id: { tntId: 'plain-1' },
      execute: {
        pageLoad: {},
        mboxes: [
          { index: 0, name: 'hero' },
          { index: 1, name: 'nowhere' },
        ],
      },
    });
    assert.notEqual(body.execute.mboxes[0].options[0].responseTokens['activity.id'], 'paused');
    assert.equal(body.execute.mboxes[0].options[0].responseTokens['activity.id'], 'hero-ab');
    assert.deepEqual(body.execute.mboxes[1], { index: 1, name: 'nowhere', options: [] });
    assert.deepEqual(body.execute.pageLoad, { options: [] });
  });

  test('prefetched options carry their display eventToken; every decided answer carries its click metrics', async () => {
    const { body } = await call({ id: { tntId: 'prefetch-1' }, prefetch: { mboxes: [{ index: 0, name: 'hero' }] } });
    const [mbox] = body.prefetch.mboxes;
    assert.match(mbox.options[0].eventToken, /^pe1\./);
    assert.equal(mbox.metrics.length, 1);
    assert.equal(mbox.metrics[0].type, 'click');
    assert.match(mbox.metrics[0].eventToken, /^pe1\./);
    const executed = await executeHero('prefetch-1');
    assert.equal(executed.body.execute.mboxes[0].options[0].eventToken, undefined);
    assert.equal(executed.body.execute.mboxes[0].metrics[0].eventToken, mbox.metrics[0].eventToken);
  });

  test("the client's response-token list decides which tokens come back", async () => {
    const set = await admin(server, 'PUT', '/admin/v1/clients/demo', {
      responseTokens: ['experience.name', 'profile.tier', 'profile.tntId'],
    });
    assert.equal(set.status, 200, await set.text());
    try {
      const { body } = await executeHero('tokens-1', { tier: 'bronze' });
      const expected = allocationBucket('demo', 'hero-ab', 'tokens-1') < 5000 ? 'Control' : 'Bold';
      assert.deepEqual(body.execute.mboxes[0].options[0].responseTokens, {
        'experience.name': expected,
        'profile.tier': 'bronze',
        'profile.tntId': 'tokens-1',
      });
    } finally {
      assert.equal((await admin(server, 'PUT', '/admin/v1/clients/demo', { responseTokens: null })).status, 200);
    }
  });
});

describe('counting', () => {
  test('executed decisions count impressions now; prefetched ones when their display notification arrives, once per id', async () => {
    await putActivity('counted', { ...HERO_AB, name: 'Counted', priority: 500 });
    const visitor = 'count-visitor';
    const experience = allocationBucket('demo', 'counted', visitor) < 5000 ? 'A' : 'B';

    await executeHero(visitor);
    await executeHero(visitor);
    let document = await report('counted');
    assert.equal(experienceOf(document, experience).impressions, 2);
    assert.equal(experienceOf(document, experience).visitors, 1);

    const { body } = await call({ id: { tntId: visitor }, prefetch: { mboxes: [{ index: 0, name: 'hero' }] } });
    const [mbox] = body.prefetch.mboxes;
    document = await report('counted');
    assert.equal(experienceOf(document, experience).impressions, 2, 'a prefetch alone counts nothing');

    const display = {
      id: { tntId: visitor },
      notifications: [
        { id: 'display-1', type: 'display', timestamp: Date.now(), mbox: { name: 'hero' }, tokens: [mbox.options[0].eventToken] },
      ],
    };
    const first = await call(display);
    assert.deepEqual(first.body.notifications, [{ id: 'display-1' }]);
    await call(display); // Adobe's SDK retries: the same id again
    document = await report('counted');
    assert.equal(experienceOf(document, experience).impressions, 3);

    const click = {
      id: { tntId: visitor },
      notifications: [
        { id: 'click-1', type: 'click', timestamp: Date.now(), mbox: { name: 'buy-button' }, tokens: [mbox.metrics[0].eventToken] },
      ],
    };
    await call(click);
    await call(click);
    document = await report('counted');
    assert.equal(experienceOf(document, experience).metrics.buy.conversions, 1);
    assert.equal(experienceOf(document, experience).metrics.buy.visitors, 1);
  });

  test('a forged or altered token is acknowledged and counts nothing', async () => {
    const { body } = await call({ id: { tntId: 'forger' }, prefetch: { mboxes: [{ index: 0, name: 'hero' }] } });
    const token: string = body.prefetch.mboxes[0].options[0].eventToken;
    const before = await report('counted');
    const forged = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const answer = await call({
      id: { tntId: 'forger' },
      notifications: [{ id: 'forged-1', type: 'display', timestamp: Date.now(), tokens: [forged, 'pe1.e30.AAAA', 'garbage'] }],
    });
    assert.deepEqual(answer.body.notifications, [{ id: 'forged-1' }]);
    assert.deepEqual((await report('counted')).experiences, before.experiences);
  });
});
