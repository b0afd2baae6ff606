import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';

// Clients and tokens are served from memory after the first request (src/store/cached-stores.ts).
// These stories prove that admin changes still take effect on the very next request.

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.dispose());

const fetchProfile = (token: string) => server.fetch('/rest/v1/profiles/nobody?client=demo', { headers: bearer(token) });

test('a token that has just served requests is refused right after it is regenerated', async () => {
  assert.equal((await fetchProfile(server.demoToken)).status, 404, 'the demo token works (no such profile)');
  assert.equal((await fetchProfile(server.demoToken)).status, 404);

  const issued = await admin(server, 'POST', '/admin/v1/clients/demo/authentication/token?authorizationScope=profile_api');
  assert.equal(issued.status, 201);
  const { accessToken } = (await issued.json()) as { accessToken: string };

  const old = await fetchProfile(server.demoToken);
  assert.equal(old.status, 403);
  assert.deepEqual(await old.json(), { status: 403, message: 'The profile token has been revoked' });
  assert.equal((await fetchProfile(accessToken)).status, 404, 'the new token works at once');
});

test('turning requireAuth off and on takes effect on the next request', async () => {
  assert.equal((await server.fetch('/rest/v1/profiles/nobody?client=demo')).status, 401);
  assert.equal((await admin(server, 'PUT', '/admin/v1/clients/demo', { requireAuth: false })).status, 200);
  assert.equal((await server.fetch('/rest/v1/profiles/nobody?client=demo')).status, 404);
  assert.equal((await admin(server, 'PUT', '/admin/v1/clients/demo', { requireAuth: true })).status, 200);
  assert.equal((await server.fetch('/rest/v1/profiles/nobody?client=demo')).status, 401);
});

test('a client created after a request for it failed is found at once', async () => {
  assert.equal((await server.fetch('/rest/v1/profiles/nobody?client=latecomer')).status, 404);
  assert.equal((await admin(server, 'PUT', '/admin/v1/clients/latecomer', { requireAuth: false })).status, 201);
  assert.equal((await server.fetch('/rest/v1/profiles/nobody?client=latecomer')).status, 404);
  const body = (await (await server.fetch('/rest/v1/profiles/nobody?client=latecomer')).json()) as { message: string };
  assert.match(body.message, /No profile found/);
});
