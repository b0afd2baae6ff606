import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { admin, startTestServer, type TestServer } from './support/server.js';

/**
 * Datastreams through the admin API (docs/web-sdk.md#datastreams): a Web SDK configId mapped to a
 * client, its IMS org, the CRM namespace and a property token; unique on the server. Runs on
 * SQLite here and on PostgreSQL through test/postgres-http.test.ts.
 */
let server: TestServer;
before(async () => {
  server = await startTestServer();
  assert.equal((await admin(server, 'PUT', '/admin/v1/clients/other', {})).status, 201);
});
after(() => server.dispose());

test('an admin creates a datastream, replaces it, reads, lists and deletes it', async () => {
  const created = await admin(server, 'PUT', '/admin/v1/clients/demo/datastreams/web-1', {
    imsOrgId: 'ABC123@AdobeOrg',
    thirdPartyIdNamespace: 'CRM',
    propertyToken: 'prop-1',
  });
  assert.equal(created.status, 201);
  const first = (await created.json()) as Record<string, unknown>;
  assert.deepEqual(
    { ...first, createdAt: undefined, modifiedAt: undefined },
    {
      configId: 'web-1',
      client: 'demo',
      imsOrgId: 'ABC123@AdobeOrg',
      thirdPartyIdNamespace: 'CRM',
      propertyToken: 'prop-1',
      createdAt: undefined,
      modifiedAt: undefined,
    },
  );
  assert.match(String(first.createdAt), /^\d{4}-\d\d-\d\dT/);

  const replaced = await admin(server, 'PUT', '/admin/v1/clients/demo/datastreams/web-1', { imsOrgId: 'XYZ@AdobeOrg' });
  assert.equal(replaced.status, 200);
  const second = (await replaced.json()) as Record<string, unknown>;
  assert.equal(second.imsOrgId, 'XYZ@AdobeOrg');
  assert.equal(second.thirdPartyIdNamespace, null, 'a PUT is whole: an absent field is cleared');
  assert.equal(second.createdAt, first.createdAt);

  const read = await admin(server, 'GET', '/admin/v1/clients/demo/datastreams/web-1');
  assert.deepEqual(await read.json(), second);
  await admin(server, 'PUT', '/admin/v1/clients/demo/datastreams/a:web.0', { imsOrgId: 'XYZ@AdobeOrg' });
  const list = (await (await admin(server, 'GET', '/admin/v1/clients/demo/datastreams')).json()) as {
    datastreams: Array<{ configId: string }>;
  };
  assert.deepEqual(
    list.datastreams.map((d) => d.configId),
    ['a:web.0', 'web-1'],
  );

  assert.equal((await admin(server, 'DELETE', '/admin/v1/clients/demo/datastreams/web-1')).status, 204);
  const gone = await admin(server, 'GET', '/admin/v1/clients/demo/datastreams/web-1');
  assert.equal(gone.status, 404);
  assert.deepEqual(await gone.json(), { status: 404, message: "No datastream 'web-1' for client demo" });
  assert.equal((await admin(server, 'DELETE', '/admin/v1/clients/demo/datastreams/web-1')).status, 404);
});

test("a configId is unique on the server: another client's PUT is a conflict and changes nothing", async () => {
  await admin(server, 'PUT', '/admin/v1/clients/demo/datastreams/shared-id', { imsOrgId: 'ABC123@AdobeOrg', thirdPartyIdNamespace: 'CRM' });
  const taken = await admin(server, 'PUT', '/admin/v1/clients/other/datastreams/shared-id', { imsOrgId: 'EVIL@AdobeOrg' });
  assert.equal(taken.status, 409);
  assert.match(((await taken.json()) as { message: string }).message, /configId 'shared-id' is already a datastream of another client/);
  const still = (await (await admin(server, 'GET', '/admin/v1/clients/demo/datastreams/shared-id')).json()) as Record<string, unknown>;
  assert.equal(still.imsOrgId, 'ABC123@AdobeOrg');
  // Another client neither reads nor deletes it.
  assert.equal((await admin(server, 'GET', '/admin/v1/clients/other/datastreams/shared-id')).status, 404);
  assert.equal((await admin(server, 'DELETE', '/admin/v1/clients/other/datastreams/shared-id')).status, 404);
  assert.equal((await admin(server, 'GET', '/admin/v1/clients/demo/datastreams/shared-id')).status, 200);
});

test('invalid datastreams are refused with a message naming the field', async () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['web-2', {}, /imsOrgId/],
    ['web-2', { imsOrgId: 'not-an-org' }, /imsOrgId 'not-an-org' is invalid/],
    ['web-2', { imsOrgId: 'A@AdobeOrg', thirdPartyIdNamespace: 'has space' }, /thirdPartyIdNamespace must be/],
    ['web-2', { imsOrgId: 'A@AdobeOrg', colour: 'red' }, /colour/],
    ['bad id!', { imsOrgId: 'A@AdobeOrg' }, /configId 'bad id!' is invalid/],
  ];
  for (const [id, body, message] of cases) {
    const response = await admin(server, 'PUT', `/admin/v1/clients/demo/datastreams/${encodeURIComponent(id)}`, body);
    const text = await response.text();
    assert.equal(response.status, 400, text);
    assert.match(JSON.parse(text).message, message);
  }
  assert.equal((await admin(server, 'PUT', '/admin/v1/clients/nope/datastreams/web-3', { imsOrgId: 'A@AdobeOrg' })).status, 404);
  assert.equal((await server.fetch('/admin/v1/clients/demo/datastreams')).status, 401, 'the admin key is required');
});
