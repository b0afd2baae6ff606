import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { admin, startTestServer, type TestServer } from './support/server.js';

/**
 * What the stores refuse, answered the same on SQLite and PostgreSQL (this file also runs on
 * PostgreSQL, test/postgres-http.test.ts): a unique value two writers race for is a 409 for the
 * loser, text a database cannot hold is a 400, never a 500.
 */
let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.dispose());

describe('clients racing for one imsOrgId', () => {
  test('eight operators create eight clients with the same imsOrgId at once: one is created, seven get a 409 naming the holder', async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const response = await admin(server, 'PUT', `/admin/v1/clients/race${i + 1}`, { imsOrgId: 'RACE1@AdobeOrg' });
        return { client: `race${i + 1}`, status: response.status, body: (await response.json()) as Record<string, unknown> };
      }),
    );
    const created = answers.filter((a) => a.status === 201);
    assert.equal(created.length, 1, JSON.stringify(answers));
    const holder = created[0]!.client;
    assert.equal(created[0]!.body.imsOrgId, 'RACE1@AdobeOrg');
    const refused = answers.filter((a) => a.status !== 201);
    assert.equal(refused.length, 7);
    for (const answer of refused) {
      assert.deepEqual(
        answer,
        {
          client: answer.client,
          status: 409,
          body: { status: 409, message: `imsOrgId RACE1@AdobeOrg already belongs to client '${holder}'` },
        },
        answer.client,
      );
    }
    // The refused clients were not left behind half-created.
    const list = (await (await admin(server, 'GET', '/admin/v1/clients')).json()) as {
      clients: Array<{ client: string; imsOrgId: string | null }>;
    };
    assert.deepEqual(
      list.clients.filter((c) => c.client.startsWith('race')),
      [{ ...list.clients.find((c) => c.client === holder)!, imsOrgId: 'RACE1@AdobeOrg' }],
    );
  });
});

describe('text no batch or client can hold', () => {
  test('a batchId holding NUL is a 400 naming the parameter, on either store', async () => {
    const response = await server.fetch('/m2/demo/profile/batchStatus?batchId=demo-1-0%0012345678', {
      headers: { authorization: `Bearer ${server.demoToken}` },
    });
    assert.equal(response.status, 400);
    assert.equal(
      await response.text(),
      '<response><success>false</success><message>The batchId query parameter contains control characters</message></response>',
    );
  });

  test('a delivery call naming an imsOrgId that holds NUL finds no client, on either store', async () => {
    const response = await server.fetch('/rest/v1/delivery?imsOrgId=RACE1%00@AdobeOrg&sessionId=s1', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ context: { channel: 'web' } }),
    });
    assert.deepEqual(await response.json(), { status: 404, message: "Unknown imsOrgId 'RACE1\u0000@AdobeOrg': no client has it" });
  });
});
