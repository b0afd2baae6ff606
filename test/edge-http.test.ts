// biome-ignore-all lint/suspicious/noTemplateCurlyInString: offers hold Target tokens, ${…} in plain strings
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deliver } from './support/delivery.js';
import { ecidOf, edgeCall, handleOf, identityEntryOf, pageView, propositionEvent, propositionsOf } from './support/edge.js';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';

/**
 * Adobe's Web SDK calls over HTTP, as the SDK sends them (docs/web-sdk.md): identity minted and
 * kept, profile parameters written before the decisions of the same call, the CRM id linked and
 * merged as thirdPartyId, the same profile as the Delivery API and the fetch API, propositions in
 * the SDK's item schemas, display and click notifications counted once on interact and collect,
 * and every error as a problem document. Runs on SQLite here and on PostgreSQL through
 * test/postgres-http.test.ts.
 */
let server: TestServer;
const ORG = 'ABCDEF0123456789ABCDEF01@AdobeOrg';
const INTERACT = '/ee/v1/interact?configId=web-1';

const FAVOURITE = {
  name: 'Favourite colour',
  type: 'xt',
  state: 'live',
  priority: 5,
  experiences: [
    {
      id: 'blue',
      audience: { '==': [{ var: 'profile.favColor' }, 'blue'] },
      offers: { hero: { type: 'html', content: '<b>Blue for you</b>' } },
    },
    { id: 'other', offers: { hero: { type: 'html', content: '<i>Pick a colour</i>' } } },
  ],
  metrics: [{ name: 'buy', type: 'click', location: 'hero' }],
};

const PAGE = {
  name: 'Page and views',
  type: 'ab',
  state: 'live',
  priority: 1,
  experiences: [
    {
      id: 'A',
      allocation: 100,
      offers: {
        'target-global-mbox': { type: 'json', content: { banner: 'spring' } },
        'view:products': { type: 'html', content: '<p>Products view</p>' },
        sidebar: { type: 'redirect', content: 'https://page.test/sale.html' },
      },
    },
  ],
  metrics: [],
};

before(async () => {
  server = await startTestServer();
  assert.equal(
    (await admin(server, 'PUT', '/admin/v1/clients/demo/datastreams/web-1', { imsOrgId: ORG, thirdPartyIdNamespace: 'CRM' })).status,
    201,
  );
  assert.equal((await admin(server, 'PUT', '/admin/v1/clients/demo/activities/favourite', FAVOURITE)).status, 201);
  assert.equal((await admin(server, 'PUT', '/admin/v1/clients/demo/activities/page', PAGE)).status, 201);
});
after(() => server.dispose());

const fetchProfile = async (path: string) => {
  const response = await server.fetch(`/rest/v1/profiles/${path}?client=demo`, { headers: bearer(server.demoToken) });
  return { status: response.status, body: (await response.json()) as { profileAttributes: Record<string, { value: string }> } };
};

async function report(activity: string): Promise<Record<string, { impressions: number; conversions: number }>> {
  const body = (await (await admin(server, 'GET', `/admin/v1/clients/demo/activities/${activity}/report`)).json()) as {
    experiences: Array<{ id: string; impressions: number; metrics: Record<string, { conversions: number }> }>;
  };
  return Object.fromEntries(
    body.experiences.map((e) => [e.id, { impressions: e.impressions, conversions: e.metrics.buy?.conversions ?? 0 }]),
  );
}

describe('identity', () => {
  test('a first call mints a 38-digit ECID and stores it in the identity cookie; later calls keep it from the state entry or the cookie', async () => {
    const first = await edgeCall(server, `${INTERACT}&requestId=req-1`, { events: [pageView()], query: { identity: { fetch: ['ECID'] } } });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body?.requestId, 'req-1');
    const ecid = ecidOf(first);
    assert.match(ecid, /^\d{38}$/);
    assert.deepEqual(handleOf(first, 'identity:result')?.payload, [{ id: ecid, namespace: { code: 'ECID' } }]);
    const entry = identityEntryOf(first);
    assert.equal(entry.key, 'kndctr_ABCDEF0123456789ABCDEF01_AdobeOrg_identity');
    assert.ok(entry.value.startsWith('CiY'));

    const again = await edgeCall(server, INTERACT, { events: [pageView()], meta: { state: { entries: [entry] } } });
    assert.equal(ecidOf(again), ecid, 'kept from meta.state.entries');
    const byCookie = await edgeCall(server, INTERACT, { events: [pageView()] }, { cookie: `other=1; ${entry.key}=${entry.value}` });
    assert.equal(ecidOf(byCookie), ecid, 'kept from the Cookie header (edge on the page’s domain)');
    const migrating = await edgeCall(server, INTERACT, { events: [{ xdm: { identityMap: { ECID: [{ id: ecid }] } } }] });
    assert.equal(ecidOf(migrating), ecid, 'kept from identityMap.ECID');
    const fresh = await edgeCall(server, INTERACT, { events: [pageView()] });
    assert.notEqual(ecidOf(fresh), ecid, 'a visitor without identity gets another ECID');

    // The profile is the one the fetch API finds by ECID.
    assert.equal((await fetchProfile(`marketingCloudVisitorId/${ecid}`)).status, 200);
  });

  test('at.js migration: the tntId of the forwarded mbox cookie is linked to the ECID, so the at.js profile carries on', async () => {
    await deliver(server, 'client=demo&sessionId=atjs-1', {
      context: { channel: 'web' },
      id: { tntId: 'atjs-visitor' },
      execute: { pageLoad: { profileParameters: { favColor: 'blue', since: 'at.js' } } },
    });
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const reply = await edgeCall(server, INTERACT, {
      events: [pageView({ scopes: ['hero'] })],
      meta: { target: { migration: true }, state: { entries: [{ key: 'mbox', value: `session#s1#${exp}|PC#atjs-visitor.35_0#${exp}` }] } },
    });
    assert.equal(propositionsOf(reply)[0]?.scopeDetails.experience.id, 'blue', "the at.js profile's favColor decides");
    const byEcid = await fetchProfile(`marketingCloudVisitorId/${ecidOf(reply)}`);
    assert.equal(byEcid.body.profileAttributes.since?.value, 'at.js');
    // Without the migration flag the cookie is not read.
    const unflagged = await edgeCall(server, INTERACT, {
      events: [pageView({ scopes: ['hero'] })],
      meta: { state: { entries: [{ key: 'mbox', value: `PC#atjs-visitor#${exp}` }] } },
    });
    assert.equal(propositionsOf(unflagged)[0]?.scopeDetails.experience.id, 'other');
  });

  test('the cookie attribute SameSite=None is sent only to https pages', async () => {
    const https = await edgeCall(server, INTERACT, { events: [] }, { origin: 'https://page.test' });
    assert.deepEqual(handleOf(https, 'state:store')?.payload[0]?.attrs, { SameSite: 'None' });
    const plain = await edgeCall(server, INTERACT, { events: [] }, { origin: 'http://localhost:8000' });
    assert.equal(handleOf(plain, 'state:store')?.payload[0]?.attrs, undefined);
    assert.equal(plain.headers.get('access-control-allow-origin'), 'http://localhost:8000');
    assert.equal(plain.headers.get('access-control-allow-credentials'), 'true');
  });

  test('identity/acquire answers the identity; set-consent also stores the consent cookie', async () => {
    const acquired = await edgeCall(server, '/ee/v1/identity/acquire?configId=web-1', { query: { identity: { fetch: ['ECID'] } } });
    assert.equal(acquired.status, 200);
    assert.match(ecidOf(acquired), /^\d{38}$/);
    const consent = await edgeCall(server, '/ee/v1/privacy/set-consent?configId=web-1', {
      consent: [{ standard: 'Adobe', version: '1.0', value: { general: 'in' } }],
      meta: { state: { entries: [identityEntryOf(acquired)] } },
    });
    assert.equal(consent.status, 200, consent.text);
    assert.equal(ecidOf(consent), ecidOf(acquired));
    const stored = consent.body!.handle!.filter((h) => h.type === 'state:store').flatMap((h) => h.payload);
    assert.ok(stored.some((entry) => entry.key === 'kndctr_ABCDEF0123456789ABCDEF01_AdobeOrg_consent' && entry.value === 'general=in'));
  });
});

describe('profile parameters, the CRM id and propositions', () => {
  test('a profile parameter and the CRM id: the offer that parameter earns comes back in the same call, and the profile is found by ECID and by thirdPartyId', async () => {
    const reply = await edgeCall(server, INTERACT, {
      events: [pageView({ scopes: ['hero'], crm: 'crm-ada', target: { 'profile.favColor': 'blue', 'entity.id': 'sku-1' } })],
    });
    assert.equal(reply.status, 200, reply.text);
    const [hero] = propositionsOf(reply);
    assert.equal(hero?.scope, 'hero');
    assert.deepEqual(hero?.items, [
      {
        id: 'favourite.blue.hero.0',
        schema: 'https://ns.adobe.com/personalization/html-content-item',
        data: { id: 'favourite.blue.hero.0', format: 'text/html', content: '<b>Blue for you</b>' },
      },
    ]);
    assert.equal(hero?.scopeDetails.decisionProvider, 'TGT');
    assert.deepEqual(hero?.scopeDetails.activity, { id: 'favourite' });
    assert.deepEqual(hero?.scopeDetails.experience, { id: 'blue' });
    assert.match(hero?.scopeDetails.characteristics.eventToken, /^pe1\./);
    assert.match(hero?.scopeDetails.characteristics.clickToken, /^pe1\./);

    const ecid = ecidOf(reply);
    const byEcid = await fetchProfile(`marketingCloudVisitorId/${ecid}`);
    assert.equal(byEcid.body.profileAttributes.favColor?.value, 'blue');
    const byCrm = await fetchProfile('thirdPartyId/crm-ada');
    assert.equal(byCrm.status, 200);
    assert.equal(byCrm.body.profileAttributes.favColor?.value, 'blue');
    assert.equal(byCrm.body.profileAttributes['entity.id'], undefined, 'entity.* are mbox parameters, not profile attributes');
  });

  test('the flat "__adobe.target" key works too, and the Delivery API sees the same profile by ECID', async () => {
    const reply = await edgeCall(server, INTERACT, {
      events: [{ ...pageView({ scopes: ['hero'] }), data: { '__adobe.target': { 'profile.favColor': 'blue' } } }],
    });
    const ecid = ecidOf(reply);
    assert.equal(propositionsOf(reply)[0]?.scopeDetails.experience.id, 'blue');
    const delivered = await deliver(server, 'client=demo&sessionId=edge-s1', {
      context: { channel: 'web' },
      id: { marketingCloudVisitorId: ecid },
      execute: { mboxes: [{ index: 0, name: 'hero' }] },
    });
    assert.equal(
      delivered.body.execute?.mboxes?.[0]?.options?.[0]?.content,
      '<b>Blue for you</b>',
      'the Delivery API decides from the same profile',
    );
  });

  test('logging in merges the anonymous ECID profile into the CRM person, the person winning conflicts', async () => {
    await admin(server, 'POST', '/admin/v1/clients/demo/profiles', {
      thirdPartyId: 'crm-bo',
      attributes: { tier: 'gold', favColor: 'red' },
    });
    const anonymous = await edgeCall(server, INTERACT, {
      events: [pageView({ target: { 'profile.favColor': 'blue', 'profile.city': 'Lyon' } })],
    });
    const entry = identityEntryOf(anonymous);
    const login = await edgeCall(server, INTERACT, {
      events: [pageView({ scopes: ['hero'], crm: 'crm-bo' })],
      meta: { state: { entries: [entry] } },
    });
    assert.equal(ecidOf(login), ecidOf(anonymous));
    assert.equal(propositionsOf(login)[0]?.scopeDetails.experience.id, 'other', "the person's red wins over the anonymous blue");
    const person = await fetchProfile('thirdPartyId/crm-bo');
    assert.equal(person.body.profileAttributes.tier?.value, 'gold');
    assert.equal(person.body.profileAttributes.city?.value, 'Lyon', 'attributes of one side only are kept');
    assert.equal(person.body.profileAttributes.favColor?.value, 'red');
    const byEcid = await fetchProfile(`marketingCloudVisitorId/${ecidOf(anonymous)}`);
    assert.equal(byEcid.body.profileAttributes.tier?.value, 'gold', 'the ECID now reaches the person');
  });

  test('__view__ answers the page load and every view; mbox scopes answer json and redirect items', async () => {
    const reply = await edgeCall(server, INTERACT, { events: [pageView({ scopes: ['__view__', 'sidebar', 'nothing-here'] })] });
    const byScope = Object.fromEntries(propositionsOf(reply).map((p) => [p.scope, p]));
    assert.deepEqual(Object.keys(byScope).sort(), ['__view__', 'products', 'sidebar']);
    assert.deepEqual(byScope.__view__.items[0].data, {
      id: 'page.A.target-global-mbox.0',
      format: 'application/json',
      content: { banner: 'spring' },
    });
    assert.equal(byScope.__view__.items[0].schema, 'https://ns.adobe.com/personalization/json-content-item');
    assert.equal(byScope.products.scopeDetails.characteristics.scopeType, 'view');
    assert.equal(byScope.products.items[0].data.content, '<p>Products view</p>');
    assert.equal(byScope.sidebar.items[0].schema, 'https://ns.adobe.com/personalization/redirect-item');
    assert.equal(byScope.sidebar.items[0].data.content, 'https://page.test/sale.html');
    assert.equal(handleOf(reply, 'personalization:decisions')?.eventIndex, 0);
  });

  test('the other __adobe.target keys and the flattened XDM are mbox parameters for conditions and offer tokens', async () => {
    await admin(server, 'PUT', '/admin/v1/clients/demo/activities/pdp', {
      name: 'Product page',
      type: 'xt',
      state: 'live',
      priority: 1,
      audience: { '==': [{ var: 'mbox.web.webPageDetails.name' }, 'product'] },
      experiences: [
        {
          id: 'sku',
          audience: { '==': [{ var: 'mbox.entity.id' }, 'sku-9'] },
          offers: { pdp: { type: 'html', content: '<p>About ${mbox.entity.id}</p>' } },
        },
      ],
      metrics: [],
    });
    const event = pageView({ scopes: ['pdp'], target: { 'entity.id': 'sku-9' } });
    (event.xdm as { web: { webPageDetails: { name: string } } }).web.webPageDetails.name = 'product';
    const reply = await edgeCall(server, INTERACT, { events: [event] });
    assert.equal(propositionsOf(reply)[0]?.items[0].data.content, '<p>About sku-9</p>');
    const elsewhere = await edgeCall(server, INTERACT, { events: [pageView({ scopes: ['pdp'], target: { 'entity.id': 'sku-9' } })] });
    assert.deepEqual(propositionsOf(elsewhere), [], 'another page name: the activity does not admit');
  });

  test('profile scripts run on interact, after its profile parameters and before its decisions', async () => {
    const script = await admin(server, 'PUT', '/admin/v1/clients/demo/profile-scripts/colorFan', {
      source: "if (profile.get('favColor') === 'green') return 'fan:' + user.header('x-shop');",
    });
    assert.equal(script.status, 201, await script.text());
    await admin(server, 'PUT', '/admin/v1/clients/demo/activities/fans', {
      name: 'Green fans',
      type: 'xt',
      state: 'live',
      priority: 9,
      audience: { '==': [{ var: 'user.colorFan' }, 'fan:lyon'] },
      experiences: [{ id: 'fan', offers: { hero: { type: 'html', content: '<b>Green, from Lyon</b>' } } }],
      metrics: [],
    });
    try {
      const reply = await edgeCall(
        server,
        INTERACT,
        { events: [pageView({ scopes: ['hero'], crm: 'crm-green', target: { 'profile.favColor': 'green' } })] },
        { 'x-shop': 'lyon' },
      );
      assert.equal(propositionsOf(reply)[0]?.items[0].data.content, '<b>Green, from Lyon</b>', "the script's output decided this call");
      const profile = await fetchProfile('thirdPartyId/crm-green');
      assert.equal(profile.body.profileAttributes['user.colorFan']?.value, 'fan:lyon');
    } finally {
      await admin(server, 'DELETE', '/admin/v1/clients/demo/activities/fans');
      await admin(server, 'DELETE', '/admin/v1/clients/demo/profile-scripts/colorFan');
    }
  });

  test('user.categoryId in __adobe.target scores category affinity, as on a Delivery call', async () => {
    const reply = await edgeCall(server, INTERACT, {
      events: [pageView({ scopes: ['hero'], crm: 'crm-shoes', target: { 'user.categoryId': 'shoes' } })],
    });
    assert.equal(reply.status, 200, reply.text);
    const profile = await fetchProfile('thirdPartyId/crm-shoes');
    assert.equal(profile.body.profileAttributes['user.categoryAffinity']?.value, 'shoes');
  });

  test('a location hint segment and an at.js cluster hint are ignored', async () => {
    for (const hint of ['or2', 't35']) {
      const reply = await edgeCall(server, `/ee/${hint}/v1/interact?configId=web-1`, { events: [pageView({ scopes: ['hero'] })] });
      assert.equal(reply.status, 200);
      assert.equal(propositionsOf(reply).length, 1);
    }
  });
});

describe('counting', () => {
  test('a display counts one impression, once, whether it arrives on interact or collect; a click counts a conversion once', async () => {
    const served = await edgeCall(server, INTERACT, { events: [pageView({ scopes: ['hero'], target: { 'profile.favColor': 'blue' } })] });
    const entries = [identityEntryOf(served)];
    const before = await report('favourite');
    assert.equal(propositionsOf(served).length, 1);

    const display = propositionEvent(propositionsOf(served), 'display', '2026-12-02T07:00:01.000Z');
    const shown = await edgeCall(server, INTERACT, { events: [display], meta: { state: { entries } } });
    assert.equal(shown.status, 200, shown.text);
    assert.equal(
      (await report('favourite')).blue?.impressions,
      before.blue!.impressions + 1,
      'deciding counted nothing; the display counted one',
    );
    // The SDK retrying the same call, or sending the same event by beacon: nothing more.
    await edgeCall(server, INTERACT, { events: [display], meta: { state: { entries } } });
    const beacon = await edgeCall(server, '/ee/v1/collect?configId=web-1', { events: [display], meta: { state: { entries } } });
    assert.equal(beacon.status, 204);
    assert.equal(beacon.text, '');
    assert.equal((await report('favourite')).blue?.impressions, before.blue!.impressions + 1);

    const click = propositionEvent(propositionsOf(served), 'interact', '2026-12-02T07:00:05.000Z');
    assert.equal((await edgeCall(server, '/ee/v1/collect?configId=web-1', { events: [click], meta: { state: { entries } } })).status, 204);
    await edgeCall(server, '/ee/v1/collect?configId=web-1', { events: [click], meta: { state: { entries } } });
    const after = await report('favourite');
    assert.equal(after.blue?.conversions, before.blue!.conversions + 1);
    assert.equal(after.blue?.impressions, before.blue!.impressions + 1);

    // A forged token counts nothing and is still acknowledged.
    const forged = propositionEvent(
      [{ ...propositionsOf(served)[0], scopeDetails: { characteristics: { eventToken: 'pe1.x.y' } } }],
      'display',
      '2026-12-02T07:00:09Z',
    );
    assert.equal((await edgeCall(server, INTERACT, { events: [forged], meta: { state: { entries } } })).status, 200);
    assert.deepEqual(await report('favourite'), after);

    // What /metrics shows of it: calls by action, replays and refused tokens as for Delivery.
    const metrics = await (await admin(server, 'GET', '/metrics')).text();
    assert.match(metrics, /profile_edge_edge_calls_total\{action="collect"\} [1-9]/);
    assert.match(metrics, /profile_edge_notifications_replayed_total [1-9]/);
    assert.match(metrics, /profile_edge_notification_tokens_rejected_total [1-9]/);
  });
});

describe('errors are problem documents', () => {
  const problem = async (reply: Awaited<ReturnType<typeof edgeCall>>, status: number, detail: RegExp) => {
    assert.equal(reply.status, status, reply.text);
    assert.match(reply.type, /^application\/problem\+json/);
    assert.equal(reply.body?.status, status);
    assert.match(String(reply.body?.type), /^urn:profile-edge:error:[a-z_]+$/);
    assert.equal(typeof reply.body?.title, 'string');
    assert.match(String(reply.body?.detail), detail);
  };

  test('unknown or missing configId, bad JSON, an empty body, a body that is no object', async () => {
    await problem(await edgeCall(server, '/ee/v1/interact?configId=nope', { events: [] }), 400, /Unknown configId 'nope'/);
    await problem(await edgeCall(server, '/ee/v1/interact', { events: [] }), 400, /configId query parameter is required/);
    await problem(await edgeCall(server, '/ee/v1/collect?configId=bad%20id', { events: [] }), 400, /Unknown configId/);
    await problem(await edgeCall(server, INTERACT, '{"events":['), 400, /not valid JSON/);
    await problem(await edgeCall(server, INTERACT, ''), 400, /empty/);
    await problem(await edgeCall(server, INTERACT, '[1,2]'), 400, /body/);
    await problem(await edgeCall(server, INTERACT, { events: {} }), 400, /events/);
    await problem(await edgeCall(server, INTERACT, { events: ['x'] }), 400, /events\[0\] must be an object/);
    await problem(await edgeCall(server, '/ee/v1/privacy/set-consent?configId=web-1', { consent: [] }), 400, /consent/);
  });

  test('limits: profile parameters as Delivery counts them, the thirdPartyId rules, scopes, the body size', async () => {
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`profile.p${i}`, 'x']));
    await problem(
      await edgeCall(server, INTERACT, { events: [pageView({ target: many })] }),
      400,
      /__adobe\.target: size must be between 0 and 50/,
    );
    await problem(
      await edgeCall(server, INTERACT, { events: [pageView({ target: { 'profile.long': 'x'.repeat(257) } })] }),
      400,
      /__adobe\.target: .*256/,
    );
    await problem(
      await edgeCall(server, INTERACT, { events: [pageView({ crm: 'a/b' })] }),
      400,
      /identityMap\.CRM\[0\]\.id must not contain '\/'/,
    );
    await problem(await edgeCall(server, INTERACT, { events: [pageView({ crm: 'null' })] }), 400, /not a usable visitor id/);
    await problem(
      await edgeCall(server, INTERACT, { events: [pageView({ scopes: Array.from({ length: 51 }, (_, i) => `s${i}`) })] }),
      400,
      /decisionScopes: size must be between 0 and 50/,
    );
    await problem(
      await edgeCall(server, INTERACT, { events: [pageView()], pad: 'x'.repeat(1024 * 1024) }),
      413,
      /larger than the 1 MB limit/,
    );
  });

  test('wrong method, unknown action, preflight', async () => {
    const get = await server.fetch('/ee/v1/interact?configId=web-1');
    const text = await get.text();
    assert.equal(get.status, 405, text);
    assert.equal(get.headers.get('allow'), 'POST, OPTIONS');
    assert.match(get.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(JSON.parse(text).status, 405);
    const put = await server.fetch('/ee/or2/v1/collect?configId=web-1', { method: 'PUT', body: '{}' });
    assert.equal(put.status, 405);
    await put.text();
    await problem(await edgeCall(server, '/ee/v2/interact?configId=web-1', {}), 404, /No Edge route POST \/ee\/v2\/interact/);
    const preflight = await server.fetch('/ee/v1/interact', {
      method: 'OPTIONS',
      headers: { origin: 'https://page.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://page.test');
    assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'content-type');
  });
});

test('PROFILE_EDGE_EDGE_BASE_PATH moves the routes (a tenant in the path)', async () => {
  const other = await startTestServer({ config: { edgeBasePath: 'tenant-a/ee' } });
  try {
    await admin(other, 'PUT', '/admin/v1/clients/demo/datastreams/web-9', { imsOrgId: ORG });
    const moved = await edgeCall(other, '/tenant-a/ee/v1/interact?configId=web-9', { events: [pageView()] });
    assert.equal(moved.status, 200, moved.text);
    assert.match(ecidOf(moved), /^\d{38}$/);
    assert.equal((await edgeCall(other, '/tenant-a/ee/or2/v1/collect?configId=web-9', { events: [] })).status, 204);
    assert.equal((await edgeCall(other, '/ee/v1/interact?configId=web-9', { events: [] })).status, 404);
  } finally {
    await other.dispose();
  }
});
