import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { mboxCookieEntry, formatMboxCookie, PC_ENTRY_SECONDS } from '../src/wire/mbox-cookie.js';
import { AuthState, createSdkClient, leaks, type SdkClient } from './support/target-sdk.js';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';

/**
 * Adobe's own Node.js SDK (server-side mode) against profile-edge, as a site's server would use
 * it. Every test also checks that nothing tried to leave the machine (the loopback guard,
 * docs/wire-contract.md#16-known-clients).
 */
const ORG = 'ABCDEF012345678901234567@AdobeOrg';
const HEX32 = /^[0-9a-f]{32}$/;

let server: TestServer;
let sdk: SdkClient;

before(async () => {
  server = await startTestServer();
  assert.equal((await admin(server, 'PUT', '/admin/v1/clients/demo', { imsOrgId: ORG })).status, 200);
  sdk = await createSdkClient(server.url, ORG);
});
after(() => server.dispose());
afterEach(() => assert.deepEqual(leaks, [], 'the SDK tried to reach a host other than our server'));

async function fetchProfile(path: string): Promise<{ status: number; attributes: Record<string, string> }> {
  const response = await server.fetch(`/rest/v1/profiles/${path}?client=demo`, { headers: bearer(server.demoToken) });
  if (response.status !== 200) return { status: response.status, attributes: {} };
  const body = (await response.json()) as { profileAttributes: Record<string, { value: string }> };
  const attributes: Record<string, string> = {};
  for (const [name, { value }] of Object.entries(body.profileAttributes)) attributes[name] = value;
  return { status: 200, attributes };
}

/** The SDK's response whitelist adds every known field, undefined when absent: compare plain JSON. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

function tntIdOf(cookie: { value: string } | undefined): string {
  const tntId = mboxCookieEntry(cookie!.value, 'PC');
  assert.ok(tntId, 'the targetCookie carries a PC entry');
  return tntId;
}

test('the loopback guard refuses and records any other host (so an empty list means something)', async () => {
  await assert.rejects(fetch('http://mboxedge35.tt.omtrdc.net/rest/v1/delivery'), /loopback guard/);
  assert.deepEqual(leaks.splice(0), ['http://mboxedge35.tt.omtrdc.net/rest/v1/delivery']);
});

describe('a visitor browsing a site that uses the Node SDK', () => {
  let cookie: string;
  let tntId: string;

  test('getOffers stores the profile parameters, and the fetch API shows them', async () => {
    const result = await sdk.getOffers({
      sessionId: 's1',
      request: {
        execute: { mboxes: [{ name: 'hero', index: 0, profileParameters: { favColor: 'blue', visits: 3 } }] },
        prefetch: { mboxes: [{ name: 'promo', index: 1 }] },
      },
    });
    assert.deepEqual(plain(result.response.execute.mboxes), [{ index: 0, name: 'hero', options: [] }]);
    assert.deepEqual(plain(result.response.prefetch.mboxes), [{ index: 1, name: 'promo', options: [] }]);
    assert.equal(result.response.client, 'demo');
    assert.equal(result.meta.decisioningMethod, 'server-side');
    assert.equal(result.targetLocationHintCookie, undefined, 'no location hint: the SDK must stay on our host');
    assert.equal(result.targetCookie?.name, 'mbox');
    assert.match(result.targetCookie!.value, /^session#s1#\d+\|PC#[0-9a-f]{32}#\d+$/);

    cookie = result.targetCookie!.value;
    tntId = tntIdOf(result.targetCookie);
    assert.match(tntId, HEX32);
    assert.equal(result.response.id.tntId, tntId);

    const profile = await fetchProfile(tntId);
    assert.equal(profile.status, 200);
    assert.equal(profile.attributes.favColor, 'blue');
    assert.equal(profile.attributes.visits, '3', 'numbers are stored as text');
    assert.equal(profile.attributes.sessionCount, '1');
  });

  test('the targetCookie round trip keeps the visitor and the session', async () => {
    const result = await sdk.getOffers({
      targetCookie: cookie,
      request: { execute: { pageLoad: { profileParameters: { lastPage: 'cart' } } } },
    });
    assert.equal(result.response.id.tntId, tntId);
    assert.equal(mboxCookieEntry(result.targetCookie!.value, 'session'), 's1');
    assert.deepEqual(plain(result.response.execute.pageLoad), { options: [] });

    const profile = await fetchProfile(tntId);
    assert.equal(profile.attributes.favColor, 'blue');
    assert.equal(profile.attributes.lastPage, 'cart');
    assert.equal(profile.attributes.sessionCount, '1', 'same sessionId within 30 minutes: same session');
  });

  test('a new sessionId for the same visitor starts a second session', async () => {
    // A cookie that kept only its PC entry (the session entry lapsed), built with our codec.
    const pcOnly = formatMboxCookie([{ name: 'PC', value: tntId, expiresAt: Math.floor(Date.now() / 1000) + PC_ENTRY_SECONDS }]);
    const result = await sdk.getOffers({ targetCookie: pcOnly, sessionId: 's2', request: { execute: { pageLoad: {} } } });
    assert.equal(result.response.id.tntId, tntId);
    const profile = await fetchProfile(tntId);
    assert.equal(profile.attributes.sessionCount, '2');
  });

  test('logging in with a thirdPartyId merges the anonymous visit, third-party values winning', async () => {
    // The customer's known profile, built earlier on another device.
    const elsewhere = await sdk.getOffers({
      sessionId: 'other-device',
      request: {
        id: { thirdPartyId: 'crm-42' },
        execute: { pageLoad: { profileParameters: { category: 'skis', tier: 'gold' } } },
      },
    });
    assert.equal(elsewhere.response.id.thirdPartyId, 'crm-42');
    const otherDeviceTnt = tntIdOf(elsewhere.targetCookie);
    assert.notEqual(otherDeviceTnt, tntId);

    // This browser, anonymous so far, then the login page.
    await sdk.getOffers({
      targetCookie: cookie,
      request: { execute: { pageLoad: { profileParameters: { category: 'hats', store: '94103' } } } },
    });
    const login = await sdk.getOffers({
      targetCookie: cookie,
      request: { id: { thirdPartyId: 'crm-42' }, execute: { mboxes: [{ name: 'welcome', index: 0 }] } },
    });
    assert.equal(login.response.id.tntId, tntId);
    assert.equal(login.response.id.thirdPartyId, 'crm-42');

    const person = await fetchProfile('thirdPartyId/crm-42');
    assert.equal(person.attributes.category, 'skis', 'the third-party profile wins the conflict');
    assert.equal(person.attributes.store, '94103', 'anonymous-only attributes are kept');
    assert.equal(person.attributes.tier, 'gold');
    assert.equal(person.attributes.favColor, 'blue');
    assert.deepEqual(await fetchProfile(tntId), person, "the browser's tntId now leads to the same profile");
    assert.deepEqual(await fetchProfile(otherDeviceTnt), person);
  });

  test('sendNotifications is answered by notification id and stores its profile parameters', async () => {
    const result = await sdk.sendNotifications({
      targetCookie: cookie,
      request: {
        notifications: [
          {
            id: 'notif-1',
            type: 'display',
            timestamp: Date.now(),
            mbox: { name: 'promo' },
            tokens: ['token-1'],
            profileParameters: { sawPromo: 'yes' },
          },
        ],
      },
    });
    assert.deepEqual(plain(result.response.notifications), [{ id: 'notif-1' }]);
    assert.equal((await fetchProfile(tntId)).attributes.sawPromo, 'yes');
  });

  test('getAttributes answers for its mboxes (no content yet) and stores the parameters it carries', async () => {
    const attributes = await sdk.getAttributes(['hero'], {
      targetCookie: cookie,
      request: { execute: { mboxes: [{ name: 'hero', index: 1, profileParameters: { viewedHero: 'true' } }] } },
    });
    assert.deepEqual(attributes.asObject('hero'), {});
    // The SDK answers an unknown key with an Error value (it does not throw).
    assert.match(String(attributes.getValue('hero', 'anything')), /does not exist for mbox 'hero'/);
    assert.deepEqual(plain(attributes.getResponse().response.execute.mboxes), [{ index: 1, name: 'hero', options: [] }]);
    assert.equal((await fetchProfile(tntId)).attributes.viewedHero, 'true');
  });

  test('authenticated customer ids link to the profile; others are echoed but ignored', async () => {
    const result = await sdk.getOffers({
      sessionId: 'kiosk',
      customerIds: {
        loyalty: { id: 'L-77', authState: AuthState.AUTHENTICATED },
        newsletter: { id: 'N-1', authState: AuthState.UNKNOWN },
      },
      request: { id: { marketingCloudVisitorId: '10527837386392355901041112038610706884' }, execute: { pageLoad: {} } },
    });
    const ids = result.response.id;
    assert.equal(ids.marketingCloudVisitorId, '10527837386392355901041112038610706884');
    assert.deepEqual(ids.customerIds.map((c: { id: string }) => c.id).sort(), ['L-77', 'N-1']);
    const stored = await admin(server, 'GET', `/admin/v1/clients/demo/profiles/tntId/${ids.tntId}`);
    const body = (await stored.json()) as { ids: Record<string, string[]> };
    assert.deepEqual(body.ids.customerId, ['loyalty:L-77']);
    assert.deepEqual(body.ids.marketingCloudVisitorId, ['10527837386392355901041112038610706884']);
  });
});

test('an unknown imsOrgId is answered with our 404 (checked without the SDK, which retries errors)', async () => {
  const response = await server.fetch('/rest/v1/delivery?imsOrgId=NOBODY000@AdobeOrg&sessionId=s1', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ context: { channel: 'web' } }),
  });
  assert.equal(response.status, 404);
  assert.deepEqual(await response.json(), {
    status: 404,
    message: "Unknown imsOrgId 'NOBODY000@AdobeOrg': no client has it",
  });
});
