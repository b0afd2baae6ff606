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

test('Prometheus metrics are served behind the admin key, labelled by route pattern', async () => {
  assert.equal((await server.fetch('/metrics')).status, 401);
  await server.fetch('/rest/v1/profiles/someone?client=demo', { headers: bearer(server.demoToken) });
  // onResponse hooks run after the reply is sent: poll until the observation has landed.
  const observed = /profile_edge_http_request_duration_seconds_count\{method="GET",route="\/rest\/v1\/profiles\/:id",status="404"\} [1-9]/;
  let text = '';
  for (let attempt = 0; attempt < 50 && !observed.test(text); attempt++) {
    const response = await server.fetch('/metrics', { headers: bearer(server.adminKey) });
    assert.equal(response.status, 200);
    text = await response.text();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.match(text, observed);
  assert.doesNotMatch(text, /someone/);
});
