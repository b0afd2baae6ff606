import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { batchIdOf, waitForBatch } from './support/batch.js';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';
import { inspectStore } from './support/store-inspector.js';

/**
 * Tenant isolation (docs/wire-contract.md#1-tenants, docs/wire-contract.md#91-profile-api-tokens):
 * client alpha's profile token never reads or writes client bravo's data — on every route of the
 * server, taken from Fastify's route table so that a route added later is walked too (an unknown
 * route fails the test until it is classified here). Both clients hold a person with the same ids;
 * bravo also has a batch with a failed row.
 */
let server: TestServer;
let alphaToken: string;
let bravoToken: string;
let bravoBatchId: string;
let alphaBatchId: string;

const SHARED = { tntId: 'shared-id', thirdPartyId: 'shared-crm', marketingCloudVisitorId: 'shared-ecid' };
const BRAVO_SECRET = 'bravo-secret-value-4471';
const BRAVO_FAILED_KEY = 'bravo-failed-key-9913';

async function newClient(code: string): Promise<string> {
  assert.equal((await admin(server, 'PUT', `/admin/v1/clients/${code}`, {})).status, 201);
  const issued = await admin(server, 'POST', `/admin/v1/clients/${code}/authentication/token?authorizationScope=profile_api`);
  return ((await issued.json()) as { accessToken: string }).accessToken;
}

async function upload(client: string, token: string, body: string): Promise<string> {
  const response = await server.fetch(`/m2/${client}/v2/profile/batchUpdate`, { method: 'POST', headers: bearer(token), body });
  assert.equal(response.status, 200);
  const batchId = batchIdOf(await response.text());
  await waitForBatch(server, client, batchId, token);
  return batchId;
}

before(async () => {
  server = await startTestServer();
  alphaToken = await newClient('alpha');
  bravoToken = await newClient('bravo');
  await admin(server, 'POST', '/admin/v1/clients/alpha/profiles', { ...SHARED, attributes: { owner: 'alpha' } });
  await admin(server, 'POST', '/admin/v1/clients/bravo/profiles', { ...SHARED, attributes: { owner: 'bravo', secret: BRAVO_SECRET } });
  bravoBatchId = await upload('bravo', bravoToken, `batch=pcId,secret\n${BRAVO_FAILED_KEY},%FF\n`);
  alphaBatchId = await upload('alpha', alphaToken, 'batch=pcId,note\nalpha-only,%FF\n');
  await admin(server, 'PUT', '/admin/v1/clients/alpha/datastreams/alpha-web', { imsOrgId: 'ALPHA@AdobeOrg', thirdPartyIdNamespace: 'CRM' });
});
after(() => server.dispose());

/** Everything stored for bravo: the client, its token record, profiles, ids, batches, failed rows. */
async function bravoState(): Promise<string> {
  const store = await inspectStore(server);
  try {
    const all = async (sql: string) =>
      JSON.stringify(await store.all(sql, 'bravo'), (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v));
    return [
      await all('SELECT * FROM clients WHERE code = ?'),
      await all('SELECT * FROM credentials WHERE client = ? ORDER BY id'),
      await all('SELECT * FROM profiles WHERE client = ? ORDER BY profile_key'),
      await all('SELECT * FROM profile_ids WHERE client = ? ORDER BY id_kind, id_value'),
      await all('SELECT * FROM batches WHERE client = ? ORDER BY batch_id'),
      await all('SELECT f.* FROM batch_failures f JOIN batches b USING (batch_id) WHERE b.client = ? ORDER BY f.batch_id, f.line'),
    ].join('\n');
  } finally {
    await store.close();
  }
}

interface Attempt {
  what: string;
  url: string;
  body?: string;
  contentType?: string;
  /** The statuses alpha's token may get. */
  allowed: number[];
}

const json = 'application/json';
const form = 'application/x-www-form-urlencoded';

/**
 * How alpha's token attacks one route: aimed at bravo by name (path or query), and — where the
 * client comes from alpha's own name — at bravo's batch id and at the ids both clients hold.
 */
function attacksOn(method: string, pattern: string): Attempt[] | 'no-client-data' {
  const fill = (client: string) =>
    pattern.replace(':client', client).replace(':kind', 'tntId').replace(':id', SHARED.tntId).replace(':name', 'secret');
  const update = `mboxPC=${SHARED.tntId}&profile.secret=overwritten`;
  const batch = `batch=pcId,secret\n${SHARED.tntId},overwritten\n`;
  // The API reference and its browsable page: the same document for everyone, no client data.
  if (pattern === '/openapi.json' || pattern === '/docs' || pattern.startsWith('/docs/')) return 'no-client-data';
  // The web console's built files: the same for everyone; its data comes through the admin API.
  if (pattern === '/console' || pattern.startsWith('/console/')) return 'no-client-data';
  switch (pattern) {
    case '/healthz':
    case '/readyz':
      return 'no-client-data';
    case '/metrics':
    case '/admin/v1/clients':
      return [{ what: 'admin-only route', url: pattern, allowed: [403] }];
    case '/rest/v1/delivery':
      // No token by design (browsers call it); the client named decides whose profile is visited.
      return method === 'OPTIONS'
        ? 'no-client-data'
        : [
            {
              what: 'a visit for alpha carrying ids bravo also holds',
              url: '/rest/v1/delivery?client=alpha&sessionId=iso-1',
              contentType: json,
              body: JSON.stringify({
                context: { channel: 'web' },
                id: { tntId: SHARED.tntId, thirdPartyId: SHARED.thirdPartyId, marketingCloudVisitorId: SHARED.marketingCloudVisitorId },
                execute: { pageLoad: { profileParameters: { secret: 'overwritten' } } },
              }),
              allowed: [200],
            },
          ];
    case '/ee/v1/interact':
    case '/ee/:hint/v1/interact':
    case '/ee/v1/collect':
    case '/ee/:hint/v1/collect':
    case '/ee/v1/privacy/set-consent':
    case '/ee/:hint/v1/privacy/set-consent':
    case '/ee/v1/identity/acquire':
    case '/ee/:hint/v1/identity/acquire':
      // No token by design (the Web SDK calls it from pages); the datastream named decides whose profile is visited.
      return method === 'OPTIONS'
        ? 'no-client-data'
        : [
            {
              what: "a Web SDK call through alpha's datastream carrying ids bravo also holds",
              url: `${pattern.replace(':hint', 'or2')}?configId=alpha-web`,
              contentType: 'text/plain',
              body: JSON.stringify({
                events: [
                  {
                    xdm: { identityMap: { ECID: [{ id: SHARED.marketingCloudVisitorId }], CRM: [{ id: SHARED.thirdPartyId }] } },
                    data: { __adobe: { target: { 'profile.secret': 'overwritten' } } },
                  },
                ],
                consent: [{ standard: 'Adobe', version: '1.0', value: { general: 'in' } }],
              }),
              allowed: [200, 204],
            },
          ];
    case '/:client/:environment/v1/rules.json':
      // Public by design (Adobe's CDN path): built from activities only, never from profiles.
      return [{ what: "bravo's rules artifact", url: '/bravo/production/v1/rules.json', allowed: [200] }];
    case '/rest/v1/profiles/:id':
    case '/rest/v1/profiles/thirdPartyId/:id':
    case '/rest/v1/profiles/marketingCloudVisitorId/:id': {
      const id = pattern.includes('thirdPartyId')
        ? SHARED.thirdPartyId
        : pattern.includes('marketingCloudVisitorId')
          ? SHARED.marketingCloudVisitorId
          : SHARED.tntId;
      const url = pattern.replace(':id', id);
      return [
        { what: 'bravo named in ?client=', url: `${url}?client=bravo`, allowed: [403] },
        { what: 'the shared id under alpha', url: `${url}?client=alpha`, allowed: [200] },
      ];
    }
    case '/m2/:client/profile/update':
      return [
        {
          what: 'bravo named in the path',
          url: `${fill('bravo')}?${method === 'POST' ? '' : update}`,
          body: method === 'POST' ? update : undefined,
          contentType: form,
          allowed: [403],
        },
        { what: 'the shared id under alpha', url: `${fill('alpha')}?${update}`, allowed: [200] },
      ];
    case '/m2/:client/profile/batchUpdate':
    case '/m2/:client/v2/profile/batchUpdate':
      return [
        { what: 'bravo named in the path', url: fill('bravo'), body: batch, contentType: form, allowed: [403] },
        { what: 'the shared id under alpha', url: fill('alpha'), body: batch, contentType: form, allowed: [200] },
      ];
    case '/m2/:client/profile/batchStatus':
    case '/m2/:client/v2/profile/batchStatus':
    case '/m2/:client/profile/batchReport':
    case '/m2/:client/v2/profile/batchReport':
      return [
        {
          what: "bravo's batch, bravo named",
          url: `${fill('bravo')}?batchId=${bravoBatchId}&showDetails=true&format=json`,
          allowed: [403],
        },
        {
          what: "bravo's batch id under alpha",
          url: `${fill('alpha')}?batchId=${bravoBatchId}&showDetails=true&format=json`,
          allowed: [404],
        },
        { what: "alpha's own batch", url: `${fill('alpha')}?batchId=${alphaBatchId}&showDetails=true&format=json`, allowed: [200] },
      ];
    default:
      if (pattern.startsWith('/admin/v1/')) {
        const body =
          pattern.endsWith('/privacy/export') || pattern.endsWith('/privacy/delete')
            ? JSON.stringify({ tntId: SHARED.tntId })
            : method === 'PUT'
              ? JSON.stringify({ requireAuth: false })
              : method === 'POST' && pattern.endsWith('/profiles')
                ? JSON.stringify({ ...SHARED, attributes: { secret: 'overwritten' } })
                : undefined;
        return [
          {
            what: 'admin route, bravo named',
            url: `${fill('bravo')}?authorizationScope=profile_api`,
            body,
            contentType: body ? json : undefined,
            allowed: [403],
          },
          {
            what: 'admin route, alpha named',
            url: `${fill('alpha')}?authorizationScope=profile_api`,
            body,
            contentType: body ? json : undefined,
            allowed: [403],
          },
        ];
      }
      return [];
  }
}

test("alpha's token never reads or writes bravo's data, on every route in the route table", async () => {
  const before = await bravoState();
  assert.ok(before.includes(BRAVO_SECRET) && before.includes(BRAVO_FAILED_KEY) && before.includes(bravoBatchId), 'fixtures are in place');
  const routes = server.app.routes;
  assert.ok(routes.length >= 30, `route table looks incomplete: ${routes.length}`);
  let attempts = 0;
  for (const { method, url: pattern } of routes) {
    const attacks = attacksOn(method, pattern);
    if (attacks === 'no-client-data') continue;
    assert.ok(
      attacks.length > 0,
      `route ${method} ${pattern} is not classified in tenant-isolation.test.ts: say how alpha could reach bravo through it`,
    );
    for (const attack of attacks) {
      const response = await server.fetch(attack.url, {
        method,
        headers: { ...bearer(alphaToken), ...(attack.contentType ? { 'content-type': attack.contentType } : {}) },
        body: method === 'GET' || method === 'HEAD' ? undefined : attack.body,
      });
      const text = await response.text();
      const where = `${method} ${attack.url} (${attack.what})`;
      assert.ok(attack.allowed.includes(response.status), `${where}: ${response.status} ${text.slice(0, 300)}`);
      for (const secret of [BRAVO_SECRET, BRAVO_FAILED_KEY, bravoToken]) assert.ok(!text.includes(secret), `${where} leaked bravo's data`);
      if (response.status === 200 && method !== 'HEAD' && pattern.startsWith('/rest/v1/profiles')) {
        assert.match(text, /"owner":\{"value":"alpha"/, `${where}: the shared id answers alpha's person`);
      }
      attempts++;
    }
  }
  // Let alpha's accepted batches finish before comparing.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(await bravoState(), before, "bravo's stored data changed");
  assert.ok(attempts >= 40, `only ${attempts} attempts`);

  // And bravo still reads its own person with its own token.
  const own = await server.fetch(`/rest/v1/profiles/${SHARED.tntId}?client=bravo`, { headers: bearer(bravoToken) });
  assert.match(await own.text(), new RegExp(BRAVO_SECRET));
});
