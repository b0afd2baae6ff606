import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { deliver } from './support/delivery.js';
import { admin, startTestServer, type TestServer } from './support/server.js';
import { createSdkClient, leaks, observeFetches, type SdkClient, type SeenFetch } from './support/target-sdk.js';

/**
 * profile-edge's published artifact through Adobe's own Node.js SDK (`on-device` and `hybrid`,
 * `artifactLocation` pointing at profile-edge, the loopback guard on): the device and the server
 * give 1,000 visitors the same experience of an ab activity; in hybrid mode a location whose
 * activity reads the profile goes to the server and gets the profile's offer while a
 * device-decidable one stays on the device; the display notification the device posts back is
 * counted once in the activity's report.
 */
const ORG = 'ABCDEF012345678901234567@AdobeOrg';
const CLIENT = 'demo';

const ACTIVITIES = {
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
  'members-hero': {
    name: 'Members hero',
    type: 'xt',
    state: 'live',
    priority: 0,
    experiences: [
      {
        id: 'gold',
        audience: { '==': [{ var: 'profile.tier' }, 'gold'] },
        offers: { hero: { type: 'json', content: { banner: 'gold' } } },
      },
      { id: 'everyone', offers: { hero: { type: 'json', content: { banner: 'standard' } } } },
    ],
    metrics: [],
  },
};
const EXPERIENCE_OF: Record<string, string> = { '<div>10% off</div>': 'A', '<div>Free shipping</div>': 'B' };

let server: TestServer;
let artifactLocation: string;
let seen: SeenFetch[] = [];
let stopObserving: () => void;

const deliveryPosts = (from: number) => seen.slice(from).filter((fetched) => fetched.url.pathname === '/rest/v1/delivery');

function sdkIn(decisioningMethod: 'on-device' | 'hybrid', config: Record<string, unknown> = {}): Promise<SdkClient> {
  return createSdkClient(server.url, ORG, { client: CLIENT, decisioningMethod, artifactLocation, config });
}

async function impressions(activityId: string, experienceId: string): Promise<number> {
  const response = await admin(server, 'GET', `/admin/v1/clients/${CLIENT}/activities/${activityId}/report`);
  assert.equal(response.status, 200);
  const report = (await response.json()) as { experiences: Array<{ id: string; impressions: number }> };
  return report.experiences.find((experience) => experience.id === experienceId)?.impressions ?? 0;
}

before(async () => {
  server = await startTestServer();
  artifactLocation = `${server.url}/${CLIENT}/production/v1/rules.json`;
  assert.equal((await admin(server, 'PUT', `/admin/v1/clients/${CLIENT}`, { imsOrgId: ORG })).status, 200);
  for (const [id, activity] of Object.entries(ACTIVITIES)) {
    const response = await admin(server, 'PUT', `/admin/v1/clients/${CLIENT}/activities/${id}`, activity);
    assert.equal(response.status, 201, await response.text());
  }
  const artifact = (await (await server.fetch(`/${CLIENT}/production/v1/rules.json`)).json()) as Record<string, string[]>;
  assert.ok(artifact.localMboxes!.includes('promo'));
  assert.ok(artifact.remoteMboxes!.includes('hero'));
  stopObserving = observeFetches((fetched) => seen.push(fetched));
});
after(async () => {
  stopObserving();
  await server.dispose();
});
afterEach(() => {
  assert.deepEqual(leaks, [], 'the SDK tried to reach a host other than our server');
  seen = [];
});

test('1,000 visitors: the SDK on the device and profile-edge on the server give each the same experience', async () => {
  const sdk = await sdkIn('on-device', { telemetryEnabled: false });
  const from = seen.length;
  const counts = { A: 0, B: 0 };
  const ids = Array.from({ length: 1000 }, (_, i) => `parity-visitor-${i}`);
  for (let start = 0; start < ids.length; start += 20) {
    await Promise.all(
      ids.slice(start, start + 20).map(async (tntId) => {
        const device = await sdk.getOffers({ request: { id: { tntId }, prefetch: { mboxes: [{ name: 'promo', index: 0 }] } } });
        assert.equal(device.meta.decisioningMethod, 'on-device');
        const [deviceOption] = device.response.prefetch.mboxes[0].options;
        const { status, body } = await deliver(server, `client=${CLIENT}&sessionId=${tntId}`, {
          context: { channel: 'web' },
          id: { tntId },
          prefetch: { mboxes: [{ name: 'promo', index: 0 }] },
        });
        assert.equal(status, 200);
        const [serverOption] = body.prefetch.mboxes[0].options;
        assert.equal(deviceOption.content, serverOption.content, tntId);
        counts[EXPERIENCE_OF[deviceOption.content] as 'A' | 'B'] += 1;
      }),
    );
  }
  assert.equal(counts.A + counts.B, 1000);
  assert.ok(counts.A > 400 && counts.B > 400, `both experiences drawn: ${JSON.stringify(counts)}`);
  // Decided on the device: the SDK called no delivery endpoint (prefetch, telemetry off); ours are the only ones.
  assert.equal(deliveryPosts(from).length, 1000);
});

test('hybrid: a location whose activity reads the profile is decided by profile-edge, with the profile; a device-decidable one on the device', async () => {
  const sdk = await sdkIn('hybrid', { telemetryEnabled: false });
  const from = seen.length;
  const member = await sdk.getOffers({
    sessionId: 'hybrid-1',
    request: { id: { tntId: 'hybrid-visitor' }, execute: { mboxes: [{ name: 'hero', index: 0, profileParameters: { tier: 'gold' } }] } },
  });
  assert.equal(member.meta.decisioningMethod, 'server-side');
  assert.deepEqual((member.meta as { remoteMboxes?: string[] }).remoteMboxes, ['hero']);
  const [option] = member.response.execute.mboxes[0].options;
  assert.deepEqual(option.content, { banner: 'gold' });
  assert.equal(deliveryPosts(from).length, 1, 'one delivery call to profile-edge');
  assert.equal(deliveryPosts(from)[0]!.status, 200);

  // The tier set by the earlier call, read from the stored profile.
  const again = await sdk.getOffers({
    sessionId: 'hybrid-1',
    targetCookie: member.targetCookie!.value,
    request: { execute: { mboxes: [{ name: 'hero', index: 0 }] } },
  });
  assert.equal(again.meta.decisioningMethod, 'server-side');
  assert.deepEqual(again.response.execute.mboxes[0].options[0].content, { banner: 'gold' });
  const stranger = await sdk.getOffers({
    request: { id: { tntId: 'hybrid-stranger' }, execute: { mboxes: [{ name: 'hero', index: 0 }] } },
  });
  assert.deepEqual(stranger.response.execute.mboxes[0].options[0].content, { banner: 'standard' });

  const local = seen.length;
  const device = await sdk.getOffers({ request: { id: { tntId: 'hybrid-visitor' }, prefetch: { mboxes: [{ name: 'promo', index: 0 }] } } });
  assert.equal(device.meta.decisioningMethod, 'on-device');
  assert.deepEqual((device.meta as { remoteMboxes?: string[] }).remoteMboxes, []);
  const [deviceOption] = device.response.prefetch.mboxes[0].options;
  assert.ok(EXPERIENCE_OF[deviceOption.content], deviceOption.content);
  assert.equal(deviceOption.responseTokens['activity.decisioningMethod'], 'on-device');
  await sleep(100);
  assert.equal(deliveryPosts(local).length, 0, 'decided on the device: no delivery call');
});

test('the display notification the on-device SDK posts after an executed mbox is counted once in the report', async () => {
  const sdk = await sdkIn('on-device');
  const tntId = 'display-visitor';
  const before = { A: await impressions('promo-ab', 'A'), B: await impressions('promo-ab', 'B') };
  const from = seen.length;
  const result = await sdk.getOffers({ request: { id: { tntId }, execute: { mboxes: [{ name: 'promo', index: 0 }] } } });
  assert.equal(result.meta.decisioningMethod, 'on-device');
  const experience = EXPERIENCE_OF[result.response.execute.mboxes[0].options[0].content] as 'A' | 'B';
  assert.ok(experience);
  const other = experience === 'A' ? 'B' : 'A';

  const deadline = Date.now() + 2000;
  while ((await impressions('promo-ab', experience)) === before[experience] && Date.now() < deadline) await sleep(25);
  await sleep(150);
  assert.equal(await impressions('promo-ab', experience), before[experience] + 1);
  assert.equal(await impressions('promo-ab', other), before[other]);
  const posts = deliveryPosts(from).filter((post) => post.body?.notifications);
  assert.equal(posts.length, 1);
  assert.equal(posts[0]!.status, 200);
  assert.equal(posts[0]!.body.notifications[0].type, 'display');
  assert.equal(posts[0]!.url.searchParams.get('imsOrgId'), ORG);
});
