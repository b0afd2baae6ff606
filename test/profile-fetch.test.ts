import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ManualClock } from '../src/domain/clock.js';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';

const clock = new ManualClock(Date.UTC(2026, 10, 24, 9, 30, 0, 123));
let server: TestServer;
before(async () => {
  server = await startTestServer({ clock });
  await admin(server, 'POST', '/admin/v1/clients/demo/profiles', {
    tntId: 'tnt-42',
    thirdPartyId: 'crm-42',
    marketingCloudVisitorId: '10527837386392355901041112038610706884',
    attributes: { country: 'france', memberlevel: '0.0' },
  });
});
after(() => server.dispose());

async function get(path: string) {
  const response = await server.fetch(path, { headers: bearer(server.demoToken) });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
}

const expected = (visitorId: string) => ({
  client: 'demo',
  visitorId,
  modifiedAt: '2026-11-24T09:30:00.123+00:00',
  profileAttributes: {
    country: { value: 'france', modifiedAt: '2026-11-24T09:30:00.123+00:00' },
    memberlevel: { value: '0.0', modifiedAt: '2026-11-24T09:30:00.123+00:00' },
  },
});

test('the same profile is fetched by tntId (with or without hint), thirdPartyId and ECID, in the exact shape', async () => {
  for (const [path, visitorId] of [
    ['/rest/v1/profiles/tnt-42?client=demo', 'tnt-42'],
    ['/rest/v1/profiles/tnt-42.28_20?client=demo', 'tnt-42.28_20'],
    ['/rest/v1/profiles/thirdPartyId/crm-42?client=demo', 'crm-42'],
    [
      '/rest/v1/profiles/marketingCloudVisitorId/10527837386392355901041112038610706884?client=demo',
      '10527837386392355901041112038610706884',
    ],
  ] as const) {
    const result = await get(path);
    assert.equal(result.status, 200, path);
    assert.match(result.type ?? '', /^application\/json/);
    assert.deepEqual(result.body, expected(visitorId), path);
  }
});

test('unknown ids answer the exact 404 messages', async () => {
  assert.deepEqual(await get('/rest/v1/profiles/nobody?client=demo'), {
    status: 404,
    type: 'application/json; charset=utf-8',
    body: { status: 404, message: 'No profile found for client demo with mboxPC=nobody' },
  });
  assert.deepEqual((await get('/rest/v1/profiles/thirdPartyId/nobody?client=demo')).body, {
    status: 404,
    message: 'No profile found for client demo with third party id=nobody',
  });
  assert.deepEqual((await get('/rest/v1/profiles/marketingCloudVisitorId/nobody?client=demo')).body, {
    status: 404,
    message: 'No profile found for client demo with marketingCloudVisitorId=nobody',
  });
});

test('a missing or unknown client, and bad ids, are clear 4xx errors', async () => {
  assert.deepEqual((await get('/rest/v1/profiles/tnt-42')).body, { status: 400, message: 'The client query parameter is required' });
  assert.deepEqual((await get('/rest/v1/profiles/tnt-42?client=acme')).body, { status: 404, message: "Unknown client 'acme'" });
  assert.deepEqual((await get('/rest/v1/profiles/undefined?client=demo')).body, {
    status: 400,
    message: "tntId 'undefined' is not a usable visitor id",
  });
  assert.deepEqual((await get(`/rest/v1/profiles/thirdPartyId/${'x'.repeat(257)}?client=demo`)).body, {
    status: 400,
    message: 'thirdPartyId is longer than 256 characters',
  });
  assert.deepEqual((await get('/rest/v1/profiles/%E0%A4%A?client=demo')).body, {
    status: 400,
    message: "URL path segment '%E0%A4%A' is not valid UTF-8 once percent-decoded",
  });
});
