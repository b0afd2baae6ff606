import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.dispose());

test('a fresh install answers /healthz and knows the demo client', async () => {
  const health = await server.fetch('/healthz');
  assert.equal(health.status, 200);
  const demo = await admin(server, 'GET', '/admin/v1/clients/demo');
  assert.equal(demo.status, 200);
  assert.equal(((await demo.json()) as { requireAuth: boolean }).requireAuth, true);
  const fetched = await server.fetch('/rest/v1/profiles/nobody?client=demo', { headers: bearer(server.demoToken) });
  assert.equal(fetched.status, 404);
});
