import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { attributesOf } from './support/delivery.js';
import { admin, startTestServer, type TestServer } from './support/server.js';
import { createSdkClient, leaks, type SdkClient } from './support/target-sdk.js';

/**
 * A counter script as a site's server sees it through Adobe's Node.js SDK (server-side mode, the
 * loopback guard on): each new session counts one visit, the count comes back as a response token
 * and decides an activity in the very call that reached 2.
 */
const ORG = 'ABCDEF012345678901234567@AdobeOrg';

let server: TestServer;
let sdk: SdkClient;

before(async () => {
  server = await startTestServer();
  const client = await admin(server, 'PUT', '/admin/v1/clients/demo', { imsOrgId: ORG, responseTokens: ['activity.id', 'user.visits'] });
  assert.equal(client.status, 200);
  const script = await admin(server, 'PUT', '/admin/v1/clients/demo/profile-scripts/visits', {
    source: "if (user.isNewSession) return (Number(user.get('visits')) || 0) + 1;",
  });
  assert.equal(script.status, 201, await script.text());
  const activity = await admin(server, 'PUT', '/admin/v1/clients/demo/activities/returning', {
    name: 'Returning visitors',
    type: 'xt',
    state: 'live',
    priority: 1,
    audience: { '>=': [{ var: 'user.visits' }, 2] },
    experiences: [{ id: 'back', offers: { hero: { type: 'json', content: { banner: 'welcome back' } } } }],
    metrics: [],
  });
  assert.equal(activity.status, 201, await activity.text());
  sdk = await createSdkClient(server.url, ORG);
});
after(() => server.dispose());
afterEach(() => assert.deepEqual(leaks, [], 'the SDK tried to reach a host other than our server'));

test('a counter script counts sessions through the SDK and its value decides the call that reached 2', async () => {
  const request = { execute: { mboxes: [{ name: 'hero', index: 0 }] } };
  const first = await sdk.getOffers({ sessionId: 'sdk-session-1', request });
  assert.deepEqual(first.response.execute.mboxes[0].options ?? [], []);
  const tntId: string = first.response.id.tntId;

  const sameSession = await sdk.getOffers({ sessionId: 'sdk-session-1', targetCookie: first.targetCookie!.value, request });
  assert.deepEqual(sameSession.response.execute.mboxes[0].options ?? [], [], 'still one visit in the same session');

  // A later visit: the session entry of the cookie has lapsed, the SDK sends the visitor's tntId.
  const second = await sdk.getOffers({ sessionId: 'sdk-session-2', request: { id: { tntId }, ...request } });
  const [option] = second.response.execute.mboxes[0].options;
  assert.deepEqual(option.content, { banner: 'welcome back' });
  assert.equal(option.responseTokens['user.visits'], '2');
  assert.equal((await attributesOf(server, tntId))?.['user.visits'], '2');
});
