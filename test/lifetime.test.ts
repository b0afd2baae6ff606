import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DAY_MS, ManualClock } from '../src/domain/clock.js';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';

const clock = new ManualClock(Date.UTC(2026, 10, 1));
let server: TestServer;
before(async () => {
  server = await startTestServer({ clock });
});
after(() => server.dispose());

const fetchStatus = async (path: string) => (await server.fetch(`${path}?client=demo`, { headers: bearer(server.demoToken) })).status;

test('a profile untouched for the client lifetime is gone, and the sweep deletes it with all its ids', async () => {
  await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: 'old', thirdPartyId: 'old-crm', attributes: { a: '1' } });
  await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: 'active', attributes: { a: '1' } });

  clock.advance(10 * DAY_MS);
  // A single update touches the profile: its 14 days start again.
  const touched = await server.fetch('/m2/demo/profile/update?mboxPC=active&profile.b=2', { headers: bearer(server.demoToken) });
  assert.equal(touched.status, 200);

  clock.advance(4 * DAY_MS + 1);
  assert.equal(await fetchStatus('/rest/v1/profiles/old'), 404, 'expired: answered as unknown');
  assert.equal(await fetchStatus('/rest/v1/profiles/thirdPartyId/old-crm'), 404);
  const update = await server.fetch('/m2/demo/profile/update?mboxPC=old&profile.b=2', { headers: bearer(server.demoToken) });
  assert.equal(update.status, 404, 'an expired profile cannot be updated back to life');
  assert.equal(await fetchStatus('/rest/v1/profiles/active'), 200);

  const removed = await server.app.services.profiles.sweepExpired();
  assert.equal(removed, 0, 'the update attempt above already purged the expired profile');
  // Re-creating the old ids makes fresh profiles: nothing of the expired one survives.
  const created = await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { thirdPartyId: 'old-crm', attributes: { c: '3' } });
  const document = (await created.json()) as { profileAttributes: object; ids: object };
  assert.deepEqual(Object.keys(document.profileAttributes), ['c']);
  assert.deepEqual(document.ids, { thirdPartyId: ['old-crm'] });
});

test('the background sweep deletes expired profiles it has never been asked about', async () => {
  for (let i = 0; i < 1200; i++) {
    await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: `bulk-${i}`, attributes: { i: String(i) } });
  }
  clock.advance(15 * DAY_MS);
  const removed = await server.app.services.profiles.sweepExpired(500);
  assert.ok(removed >= 1200, `removed ${removed}`);
  assert.equal(await fetchStatus('/rest/v1/profiles/bulk-7'), 404);
  const recreated = await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: 'bulk-7', attributes: {} });
  assert.deepEqual(((await recreated.json()) as { profileAttributes: object }).profileAttributes, {});
});

test('a longer client lifetime keeps new profiles longer', async () => {
  await admin(server, 'PUT', '/admin/v1/clients/longlived', { profileLifetimeDays: 90, requireAuth: false });
  await admin(server, 'POST', '/admin/v1/clients/longlived/profiles', { tntId: 'l1', attributes: { a: '1' } });
  clock.advance(89 * DAY_MS);
  assert.equal((await server.fetch('/rest/v1/profiles/l1?client=longlived')).status, 200);
  clock.advance(DAY_MS);
  assert.equal((await server.fetch('/rest/v1/profiles/l1?client=longlived')).status, 404);
});
