import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.dispose());

test('200 concurrent single updates of 200 different attributes of one profile leave all 200', async () => {
  await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: 'busy', attributes: {} });
  const responses = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      server.fetch(`/m2/demo/profile/update?mboxPC=busy&profile.attr${i}=value${i}`, { headers: bearer(server.demoToken) }),
    ),
  );
  assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([200]));
  const profile = (await (await server.fetch('/rest/v1/profiles/busy?client=demo', { headers: bearer(server.demoToken) })).json()) as {
    profileAttributes: Record<string, { value: string }>;
  };
  assert.equal(Object.keys(profile.profileAttributes).length, 200);
  for (let i = 0; i < 200; i++) assert.equal(profile.profileAttributes[`attr${i}`]!.value, `value${i}`);
});
