// biome-ignore-all lint/suspicious/noTemplateCurlyInString: offers hold Target tokens, ${…} in plain strings
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { allocationBucket } from '../src/features/decisioning/allocation.js';
import { createSdkClient, leaks, type SdkClient } from './support/target-sdk.js';
import { admin, startTestServer, type TestServer } from './support/server.js';

/**
 * Activities as a site's server sees them through Adobe's own Node.js SDK (server-side mode, the
 * loopback guard on): the offer a profile earns, a profile parameter deciding its own call,
 * `getAttributes` over a json offer, and a prefetched display counted once however often the SDK
 * sends its notification.
 */
const ORG = 'ABCDEF012345678901234567@AdobeOrg';

let server: TestServer;
let sdk: SdkClient;

const ACTIVITIES = {
  'members-hero': {
    name: 'Members hero',
    type: 'xt',
    state: 'live',
    priority: 5,
    experiences: [
      {
        id: 'gold',
        name: 'Gold members',
        audience: { '==': [{ var: 'profile.tier' }, 'gold'] },
        offers: {
          hero: {
            type: 'json',
            content: { banner: 'gold', discount: 20, greeting: 'Welcome back, ${profile.firstName default="member"}' },
          },
        },
      },
      { id: 'everyone', name: 'Everyone else', offers: { hero: { type: 'json', content: { banner: 'standard', discount: 0 } } } },
    ],
    metrics: [{ name: 'signup', type: 'click', location: 'signup' }],
  },
  'promo-ab': {
    name: 'Promo test',
    type: 'ab',
    state: 'live',
    priority: 0,
    experiences: [
      { id: 'A', allocation: 50, offers: { promo: { type: 'html', content: '<div>10% off</div>' } } },
      { id: 'B', allocation: 50, offers: { promo: { type: 'html', content: '<div>Free shipping</div>' } } },
    ],
    metrics: [],
  },
};

// biome-ignore lint/suspicious/noExplicitAny: the report is asserted field by field
async function impressions(activityId: string, experienceId: string): Promise<any> {
  const response = await admin(server, 'GET', `/admin/v1/clients/demo/activities/${activityId}/report`);
  assert.equal(response.status, 200);
  const document = (await response.json()) as { experiences: Array<{ id: string; impressions: number }> };
  return document.experiences.find((experience) => experience.id === experienceId)?.impressions;
}

before(async () => {
  server = await startTestServer();
  assert.equal((await admin(server, 'PUT', '/admin/v1/clients/demo', { imsOrgId: ORG })).status, 200);
  for (const [id, activity] of Object.entries(ACTIVITIES)) {
    const response = await admin(server, 'PUT', `/admin/v1/clients/demo/activities/${id}`, activity);
    assert.equal(response.status, 201, await response.text());
  }
  sdk = await createSdkClient(server.url, ORG);
});
after(() => server.dispose());
afterEach(() => assert.deepEqual(leaks, [], 'the SDK tried to reach a host other than our server'));

test('getOffers returns the offer the profile earns, decided by a profile parameter of the same call', async () => {
  const anonymous = await sdk.getOffers({ sessionId: 'sdk-1', request: { execute: { mboxes: [{ name: 'hero', index: 0 }] } } });
  assert.deepEqual(anonymous.response.execute.mboxes[0].options[0].content, { banner: 'standard', discount: 0 });

  const member = await sdk.getOffers({
    sessionId: 'sdk-1',
    targetCookie: anonymous.targetCookie!.value,
    request: { execute: { mboxes: [{ name: 'hero', index: 0, profileParameters: { tier: 'gold', firstName: 'Grace' } }] } },
  });
  const [option] = member.response.execute.mboxes[0].options;
  assert.equal(option.type, 'json');
  assert.deepEqual(option.content, { banner: 'gold', discount: 20, greeting: 'Welcome back, Grace' });
  assert.equal(option.responseTokens['experience.id'], 'gold');
  assert.equal(member.meta.decisioningMethod, 'server-side');
  assert.equal(member.response.execute.mboxes[0].metrics[0].type, 'click');
});

test('getAttributes reads a json offer', async () => {
  const first = await sdk.getOffers({
    sessionId: 'sdk-2',
    request: { execute: { mboxes: [{ name: 'other', index: 0, profileParameters: { tier: 'gold' } }] } },
  });
  const attributes = await sdk.getAttributes(['hero'], { sessionId: 'sdk-2', targetCookie: first.targetCookie!.value });
  assert.equal(attributes.getValue('hero', 'banner'), 'gold');
  assert.equal(attributes.getValue('hero', 'discount'), 20);
  assert.deepEqual(attributes.asObject('hero'), { banner: 'gold', discount: 20, greeting: 'Welcome back, member' });
});

test('a prefetched display is counted once, when its notification arrives, even when the SDK sends it twice', async () => {
  const prefetched = await sdk.getOffers({ sessionId: 'sdk-3', request: { prefetch: { mboxes: [{ name: 'promo', index: 0 }] } } });
  const tntId: string = prefetched.response.id.tntId;
  const experience = allocationBucket('demo', 'promo-ab', tntId) < 5000 ? 'A' : 'B';
  const [option] = prefetched.response.prefetch.mboxes[0].options;
  assert.equal(option.content, experience === 'A' ? '<div>10% off</div>' : '<div>Free shipping</div>');
  assert.match(option.eventToken, /^pe1\./);
  const before = (await impressions('promo-ab', experience)) ?? 0;

  const notification = {
    id: 'sdk-display-1',
    type: 'display',
    timestamp: Date.now(),
    mbox: { name: 'promo' },
    tokens: [option.eventToken],
  };
  for (let send = 0; send < 2; send += 1) {
    const sent = await sdk.sendNotifications({
      sessionId: 'sdk-3',
      targetCookie: prefetched.targetCookie!.value,
      request: { notifications: [notification] },
    });
    assert.equal(sent.response.notifications[0].id, 'sdk-display-1');
  }
  assert.equal(await impressions('promo-ab', experience), before + 1);
});
