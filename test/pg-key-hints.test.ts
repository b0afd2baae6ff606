import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyWrites } from '../src/domain/attributes.js';
import type { VisitorIdRef } from '../src/domain/identity.js';
import type { ProfileWrite } from '../src/features/profiles/profiles-store.js';
import type { VisitWrite } from '../src/features/delivery/visits-store.js';
import { PgProfilesStore } from '../src/store/postgres/pg-profiles-store.js';
import { PgVisitsStore } from '../src/store/postgres/pg-visits-store.js';
import { poolsOnOneDatabase } from './support/postgres.js';

/**
 * Each PostgreSQL node remembers where the ids it read pointed (PgProfilesStore's key hints). When
 * another node moves or deletes an id, the remembered key is stale: reads and writes through the
 * first node must still reach the profile the id points to now.
 */
const pools = poolsOnOneDatabase(2, 4);

const tnt = (value: string): VisitorIdRef => ({ kind: 'tntId', value });
const third = (value: string): VisitorIdRef => ({ kind: 'thirdPartyId', value });
const setting = (pairs: Record<string, string>, create = false): ProfileWrite => ({
  now: 1000,
  expiresAt: 1_000_000,
  create,
  apply: (existing) =>
    applyWrites(
      existing,
      Object.entries(pairs).map(([name, value]) => ({ name, value })),
      1000,
      65_536,
    ),
});
const visit = (refs: VisitorIdRef[]): VisitWrite => ({
  now: 1000,
  expiresAt: 1_000_000,
  maxProfileBytes: 65_536,
  refs,
  apply: (state) => state,
});
const valuesOf = (profile: { attributes: Map<string, { value: string }> } | null) =>
  profile && Object.fromEntries([...profile.attributes].map(([name, attribute]) => [name, attribute.value]));

test("a node's remembered key for an id another node merged away is not used", async () => {
  const nodeA = new PgProfilesStore(pools[0]!);
  const nodeB = { profiles: new PgProfilesStore(pools[1]!), visits: new PgVisitsStore(pools[1]!) };
  await nodeA.write('shop', [tnt('device')], setting({ anon: 'yes' }, true));
  await nodeA.write('shop', [third('alice')], setting({ crm: 'alice' }, true));
  const before = await nodeA.find('shop', tnt('device'), 1000); // node A now remembers the device's key
  assert.deepEqual(valuesOf(before), { anon: 'yes' });

  // Node B: the device logs in as alice; the anonymous profile is merged into alice's and deleted.
  await nodeB.visits.recordVisit('shop', visit([tnt('device'), third('alice')]));
  assert.deepEqual(valuesOf(await nodeA.find('shop', tnt('device'), 1000)), { anon: 'yes', crm: 'alice' });
  await nodeA.write('shop', [tnt('device')], setting({ later: 'kept' }));
  assert.deepEqual(valuesOf(await nodeB.profiles.find('shop', third('alice'), 1000)), { anon: 'yes', crm: 'alice', later: 'kept' });
});

test("a node's remembered key for an id another node re-pointed to someone else is not used", async () => {
  const nodeA = new PgProfilesStore(pools[0]!);
  const nodeB = { profiles: new PgProfilesStore(pools[1]!), visits: new PgVisitsStore(pools[1]!) };
  await nodeB.visits.recordVisit('shop', visit([tnt('shared'), third('carol')]));
  await nodeA.write('shop', [tnt('shared')], setting({ who: 'carol' })); // remembered: shared → carol
  // Node B: dave logs in on the same device; the device leaves carol (whose profile stays) for dave.
  await nodeB.visits.recordVisit('shop', visit([tnt('shared'), third('dave')]));
  await nodeA.write('shop', [tnt('shared')], setting({ who: 'dave' }));
  assert.deepEqual(valuesOf(await nodeB.profiles.find('shop', third('carol'), 1000)), { who: 'carol' }, "carol's profile was not written");
  assert.deepEqual(valuesOf(await nodeB.profiles.find('shop', third('dave'), 1000)), { who: 'dave' });
});

test("a node's remembered key for an id another node deleted finds nothing", async () => {
  const nodeA = new PgProfilesStore(pools[0]!);
  const nodeB = new PgProfilesStore(pools[1]!);
  await nodeA.write('shop', [tnt('gone')], setting({ x: '1' }, true));
  assert.ok(await nodeA.find('shop', tnt('gone'), 1000));
  await nodeB.delete('shop', tnt('gone'));
  assert.equal(await nodeA.find('shop', tnt('gone'), 1000), null);
  assert.equal(await nodeA.write('shop', [tnt('gone')], setting({ x: '2' })), null, 'an update-only write finds no profile');
});
