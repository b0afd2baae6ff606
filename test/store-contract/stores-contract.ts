import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { applyWrites, type AttributeMap, ProfileTooLargeError, SESSION_ATTRIBUTES_ROOM } from '../../src/domain/attributes.js';
import type { VisitorIdRef } from '../../src/domain/identity.js';
import { ConflictError } from '../../src/errors.js';
import type { ProfileWrite } from '../../src/features/profiles/profiles-store.js';
import type { Stores } from '../../src/store/open-stores.js';
import { activitiesContract } from './activities-contract.js';
import { profileScriptsContract } from './profile-scripts-contract.js';
import { batchesAndVisitsContract } from './batches-visits-contract.js';
import { countingContract } from './counting-contract.js';
import { datastreamsContract } from './datastreams-contract.js';

/**
 * The behaviour every store backend must have. Run once per backend (store-contract.test.ts), so
 * that services can rely on the interfaces alone.
 */
export function describeStoreContract(backend: string, open: () => Promise<Stores>): void {
  describe(`store contract: ${backend}`, () => {
    let stores: Stores;
    before(async () => {
      stores = await open();
      await stores.clients.upsert('c1', {}, 1);
      await stores.clients.upsert('c2', {}, 1);
    });
    after(() => stores.close());

    const tnt = (value: string): VisitorIdRef => ({ kind: 'tntId', value });
    const third = (value: string): VisitorIdRef => ({ kind: 'thirdPartyId', value });
    const set = (pairs: Record<string, string>, now: number) => (existing: AttributeMap) =>
      applyWrites(
        existing,
        Object.entries(pairs).map(([name, value]) => ({ name, value })),
        now,
        65536,
      );
    const write = (now: number, create: boolean, apply: ProfileWrite['apply']): ProfileWrite => ({
      now,
      expiresAt: now + 1000,
      create,
      apply,
    });

    test('clients: upsert creates with secure defaults, patches keep unnamed settings, imsOrgId finds the client', async () => {
      const { client, created } = await stores.clients.upsert('shop', { imsOrgId: 'ORG1@AdobeOrg' }, 10);
      assert.equal(created, true);
      assert.deepEqual(client, {
        code: 'shop',
        requireAuth: true,
        profileLifetimeDays: 14,
        imsOrgId: 'ORG1@AdobeOrg',
        responseTokens: null,
        createdAt: 10,
        updatedAt: 10,
      });
      const again = await stores.clients.upsert('shop', { profileLifetimeDays: 30 }, 20);
      assert.equal(again.created, false);
      assert.deepEqual(again.client, { ...client, profileLifetimeDays: 30, updatedAt: 20 });
      assert.equal((await stores.clients.findByImsOrgId('ORG1@AdobeOrg'))?.code, 'shop');
      assert.equal(await stores.clients.get('nope'), null);
      assert.deepEqual(
        (await stores.clients.list()).map((c) => c.code),
        ['c1', 'c2', 'shop'],
      );
    });

    test('credentials: replace revokes the previous credential of the same owner only', async () => {
      const base = { scope: 'profile_api' as const, secretHash: Buffer.alloc(32, 1), createdAt: 1, expiresAt: 100, revokedAt: null };
      await stores.credentials.replace({ ...base, id: 'a1', client: 'c1' }, 1);
      await stores.credentials.replace({ ...base, id: 'b1', client: 'c2' }, 1);
      await stores.credentials.replace({ ...base, id: 'a2', client: 'c1', createdAt: 2 }, 2);
      assert.equal((await stores.credentials.byId('a1'))?.revokedAt, 2);
      assert.equal((await stores.credentials.byId('b1'))?.revokedAt, null);
      assert.equal((await stores.credentials.current('profile_api', 'c1'))?.id, 'a2');
      assert.deepEqual((await stores.credentials.byId('a2'))?.secretHash, Buffer.alloc(32, 1));
      await stores.credentials.replace({ ...base, id: 'k1', scope: 'admin', client: null }, 3);
      assert.equal((await stores.credentials.current('admin', null))?.id, 'k1');
      assert.equal((await stores.credentials.current('profile_api', 'c1'))?.id, 'a2', 'admin keys are another owner');
    });

    test('profiles: update-only writes create nothing; creating writes link every id given', async () => {
      assert.equal(await stores.profiles.write('c1', [tnt('t1')], write(10, false, set({ a: '1' }, 10))), null);
      assert.equal(await stores.profiles.find('c1', tnt('t1'), 10), null);
      const created = await stores.profiles.write('c1', [tnt('t1'), third('x1')], write(10, true, set({ a: '1' }, 10)));
      assert.equal(created?.created, true);
      assert.deepEqual(created?.ids, [third('x1'), tnt('t1')]);
      const viaThird = await stores.profiles.find('c1', third('x1'), 10);
      assert.deepEqual([...viaThird!.attributes], [['a', { value: '1', modifiedAt: 10 }]]);
      assert.equal(viaThird!.expiresAt, 1010);
    });

    test('profiles: clients are isolated, the same id in two clients is two profiles', async () => {
      await stores.profiles.write('c2', [tnt('t1')], write(10, true, set({ a: 'other' }, 10)));
      assert.equal((await stores.profiles.find('c1', tnt('t1'), 10))!.attributes.get('a')!.value, '1');
      assert.equal((await stores.profiles.find('c2', tnt('t1'), 10))!.attributes.get('a')!.value, 'other');
      assert.equal(await stores.profiles.find('c2', third('x1'), 10), null);
    });

    test('profiles: a throwing apply aborts the whole write', async () => {
      await assert.rejects(
        stores.profiles.write(
          'c1',
          [tnt('t1'), third('new-id')],
          write(20, true, () => {
            throw new Error('limit');
          }),
        ),
        /limit/,
      );
      assert.equal(await stores.profiles.find('c1', third('new-id'), 20), null, 'the id was not linked');
      assert.equal((await stores.profiles.find('c1', tnt('t1'), 20))!.attributes.get('a')!.value, '1');
    });

    test('profiles: ids of two different live profiles are a conflict', async () => {
      await stores.profiles.write('c1', [tnt('t2')], write(10, true, set({ b: '2' }, 10)));
      await assert.rejects(stores.profiles.write('c1', [tnt('t1'), tnt('t2')], write(11, true, set({ c: '3' }, 11))), ConflictError);
    });

    test('profiles: concurrent writes to one profile lose nothing', async () => {
      await stores.profiles.write('c1', [tnt('busy')], write(10, true, set({}, 10)));
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          stores.profiles.write('c1', [tnt('busy')], write(10 + i, false, set({ [`k${i}`]: String(i) }, 10 + i))),
        ),
      );
      assert.equal((await stores.profiles.find('c1', tnt('busy'), 10))!.attributes.size, 100);
    });

    test('profiles: expired profiles are invisible, purged when written to, swept with their ids', async () => {
      await stores.profiles.write('c1', [tnt('old'), third('old-x')], write(100, true, set({ a: '1' }, 100))); // expires 1100
      assert.ok(await stores.profiles.find('c1', tnt('old'), 1099));
      assert.equal(await stores.profiles.find('c1', tnt('old'), 1100), null);
      const fresh = await stores.profiles.write('c1', [third('old-x')], write(1200, true, set({ b: '2' }, 1200)));
      assert.equal(fresh?.created, true);
      assert.deepEqual([...fresh!.profile.attributes.keys()], ['b'], 'nothing of the expired profile survives');
      assert.deepEqual(fresh!.ids, [third('old-x')]);

      await stores.profiles.write('c2', [tnt('gone')], write(100, true, set({ a: '1' }, 100)));
      const swept = await stores.profiles.sweepExpired(5000, 1000);
      assert.ok(swept >= 1);
      assert.equal(await stores.profiles.find('c2', tnt('gone'), 0), null, 'swept profiles are gone even for an earlier clock');
    });

    test('profiles: a write past the size limit is refused whole: ProfileTooLargeError, no id linked, the profile as it was', async () => {
      await stores.profiles.write('c1', [tnt('full')], write(10, true, set({ a: 'x'.repeat(90) }, 10)));
      const limited = (pairs: Record<string, string>): ProfileWrite => ({
        ...write(20, false, set(pairs, 20)),
        maxProfileBytes: 100 + SESSION_ATTRIBUTES_ROOM,
      });
      await assert.rejects(
        stores.profiles.write('c1', [tnt('full'), third('full-x')], limited({ b: 'y'.repeat(9) })),
        ProfileTooLargeError,
      );
      assert.equal(await stores.profiles.find('c1', third('full-x'), 20), null, 'the id was not linked');
      assert.deepEqual([...(await stores.profiles.find('c1', tnt('full'), 20))!.attributes.keys()], ['a']);
      const fits = await stores.profiles.write('c1', [tnt('full')], limited({ b: 'y'.repeat(8) })); // 91 + 9 = 100 bytes, and the session room
      assert.deepEqual([...fits!.profile.attributes.keys()], ['a', 'b']);
    });

    test('profiles: createdAt stays, modifiedAt is the latest attribute change, every write moves the expiry', async () => {
      const created = await stores.profiles.write('c1', [tnt('stamps')], write(10, true, set({ a: '1' }, 10)));
      assert.deepEqual([created!.profile.createdAt, created!.profile.modifiedAt, created!.profile.expiresAt], [10, 10, 1010]);
      await stores.profiles.write('c1', [tnt('stamps')], write(20, false, set({ b: '2' }, 20)));
      const unchanged = await stores.profiles.write('c1', [tnt('stamps')], write(30, false, set({ a: '1' }, 30)));
      assert.deepEqual([unchanged!.profile.createdAt, unchanged!.profile.modifiedAt, unchanged!.profile.expiresAt], [10, 20, 1030]);
      const stored = await stores.profiles.find('c1', tnt('stamps'), 30);
      assert.deepEqual([stored!.createdAt, stored!.modifiedAt, stored!.expiresAt], [10, 20, 1030]);
    });

    test('profiles: an update-only write to an expired profile finds nothing, and purges it with its ids', async () => {
      await stores.profiles.write('c1', [tnt('lapsed'), third('lapsed-x')], write(100, true, set({ a: '1' }, 100))); // expires 1100
      assert.equal(await stores.profiles.write('c1', [tnt('lapsed')], write(1200, false, set({ b: '2' }, 1200))), null);
      assert.equal(await stores.profiles.find('c1', third('lapsed-x'), 0), null, 'purged: gone even for an earlier clock');
    });

    test('profiles: delete removes the profile and every id', async () => {
      await stores.profiles.write('c1', [tnt('del'), third('del-x')], write(10, true, set({ a: '1', b: '2' }, 10)));
      const deleted = await stores.profiles.delete('c1', third('del-x'), 10);
      assert.deepEqual(deleted && { ids: deleted.ids, attributeCount: deleted.attributeCount }, {
        ids: [third('del-x'), tnt('del')],
        attributeCount: 2,
      });
      assert.equal(await stores.profiles.find('c1', tnt('del'), 10), null);
      assert.equal(await stores.profiles.delete('c1', tnt('del'), 10), null);
    });

    test('profiles: attribute names such as __proto__ and unicode values round-trip', async () => {
      await stores.profiles.write('c1', [tnt('odd')], write(10, true, set({ __proto__x: 'a', ['__proto__']: 'p', ünï: '😀 <&>' }, 10)));
      const attributes = (await stores.profiles.find('c1', tnt('odd'), 10))!.attributes;
      assert.equal(attributes.get('__proto__')?.value, 'p');
      assert.equal(attributes.get('ünï')?.value, '😀 <&>');
    });

    const MINUTE = 60_000;

    test('bulk call windows: past the limit the oldest call in the window is answered and nothing is recorded; the window slides', async () => {
      const windows = stores.callWindows;
      for (const at of [1000, 2000, 3000]) assert.equal(await windows.take('c1', at, MINUTE, 3), null, `call at ${at}`);
      assert.equal(await windows.take('c1', 4000, MINUTE, 3), 1000);
      assert.equal(await windows.take('c1', 60_999, MINUTE, 3), 1000, 'the first call is in the window until a full minute has passed');
      assert.equal(await windows.take('c1', 61_000, MINUTE, 3), null, 'then its place is free again');
      // Had the refused calls at 4000 and 60,999 been recorded, the window would still be full.
      assert.equal(await windows.take('c1', 61_500, MINUTE, 3), 2000);
      assert.equal(await windows.take('c2', 61_500, MINUTE, 3), null, "another client's window is its own");
      assert.equal(await windows.take('c1', 200_000, MINUTE, 3), null, 'a quiet minute empties the window');
    });

    test('bulk call windows: 20 concurrent calls with a limit of 5 record exactly 5', async () => {
      await stores.clients.upsert('busy-bulk', {}, 1);
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => stores.callWindows.take('busy-bulk', 10_000 + i, MINUTE, 5)));
      assert.equal(answers.filter((answer) => answer === null).length, 5);
      for (const answer of answers.filter((a) => a !== null)) assert.ok(answer! >= 10_000 && answer! < 10_020);
      // Probe how many calls are stored: a limit of 6 leaves room for exactly one more.
      assert.equal(await stores.callWindows.take('busy-bulk', 10_100, MINUTE, 6), null, 'at most 5 calls were recorded');
      assert.notEqual(await stores.callWindows.take('busy-bulk', 10_100, MINUTE, 6), null, 'at least 5 calls were recorded');
    });

    batchesAndVisitsContract(() => stores);
    countingContract(() => stores);
    activitiesContract(() => stores);
    datastreamsContract(() => stores);
    profileScriptsContract(() => stores);
  });
}
