import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyWrites } from '../src/domain/attributes.js';
import type { VisitorIdRef } from '../src/domain/identity.js';
import type { VisitWrite } from '../src/features/delivery/visits-store.js';
import { PgProfilesStore } from '../src/store/postgres/pg-profiles-store.js';
import { PgVisitsStore } from '../src/store/postgres/pg-visits-store.js';
import { poolsOnOneDatabase } from './support/postgres.js';

/**
 * On Citus with several coordinators, advisory locks taken through one coordinator do not queue
 * visits that go through another. Visits must stay correct without them: two store instances on
 * two pools (two nodes) with `lockIds: false` receive the same first logins at once.
 */
const pools = poolsOnOneDatabase(2, 10);

const tnt = (value: string): VisitorIdRef => ({ kind: 'tntId', value });
const third = (value: string): VisitorIdRef => ({ kind: 'thirdPartyId', value });
const visit = (refs: VisitorIdRef[], pairs: Record<string, string>): VisitWrite => ({
  now: 1000,
  expiresAt: 1_000_000,
  maxProfileBytes: 65_536,
  refs,
  apply: (state) => ({
    ...state,
    attributes: applyWrites(
      state.attributes,
      Object.entries(pairs).map(([name, value]) => ({ name, value })),
      1000,
      65_536,
    ),
  }),
});

test('without advisory locks, the same first logins on two nodes still end on one profile with nothing lost', async () => {
  const nodes = pools.map((pool) => new PgVisitsStore(pool, { lockIds: false }));
  const profiles = new PgProfilesStore(pools[0]!);
  const devices = 40;
  await Promise.all(
    Array.from({ length: devices }, (_, i) => nodes[i % 2]!.recordVisit('shop', visit([tnt(`d${i}`)], { [`anon${i}`]: 'kept' }))),
  );
  // Every device logs in as the same, so far unknown, person at once, half through each node.
  await Promise.all(
    Array.from({ length: devices }, (_, i) =>
      nodes[(i + 1) % 2]!.recordVisit('shop', visit([tnt(`d${i}`), third('person')], { [`login${i}`]: 'yes' })),
    ),
  );
  const person = await profiles.find('shop', third('person'), 1000);
  assert.ok(person);
  for (let i = 0; i < devices; i++) {
    assert.equal(person.attributes.get(`anon${i}`)?.value, 'kept', `device ${i}'s anonymous data was merged`);
    assert.equal(person.attributes.get(`login${i}`)?.value, 'yes', `login ${i} was kept`);
    assert.equal((await profiles.find('shop', tnt(`d${i}`), 1000))?.key, person.key, `device ${i} points at the person`);
  }
  assert.equal((await profiles.idsOf('shop', person.key)).length, devices + 1, 'the person lists every id');
  const { rows } = await pools[0]!.query<{ n: number }>("SELECT count(*)::int AS n FROM profiles WHERE client = 'shop'");
  assert.equal(rows[0]!.n, 1, 'no other profile is left behind');
});
