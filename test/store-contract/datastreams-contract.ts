import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Stores } from '../../src/store/open-stores.js';

/**
 * Datastreams: what DatastreamsService and the Edge routes rely on, on every store. Registered
 * inside describeStoreContract, with clients c1 and c2 existing.
 */
export function datastreamsContract(storesOf: () => Stores): void {
  const fields = { imsOrgId: 'ORG1@AdobeOrg', thirdPartyIdNamespace: 'CRM', propertyToken: null };

  test('datastreams: created, replaced (creation time kept), found by id whatever the client, listed per client, deleted', async () => {
    const { datastreams } = storesOf();
    const created = await datastreams.put('c1', 'web:1', fields, 1000);
    assert.deepEqual(created, {
      created: true,
      datastream: { configId: 'web:1', client: 'c1', ...fields, createdAt: 1000, modifiedAt: 1000 },
    });
    const replaced = await datastreams.put(
      'c1',
      'web:1',
      { imsOrgId: 'ORG2@AdobeOrg', thirdPartyIdNamespace: null, propertyToken: 'p' },
      2000,
    );
    assert.deepEqual(replaced, {
      created: false,
      datastream: {
        configId: 'web:1',
        client: 'c1',
        imsOrgId: 'ORG2@AdobeOrg',
        thirdPartyIdNamespace: null,
        propertyToken: 'p',
        createdAt: 1000,
        modifiedAt: 2000,
      },
    });
    assert.deepEqual(await datastreams.get('web:1'), (replaced as { datastream: unknown }).datastream);
    assert.equal(await datastreams.get('nope'), null);
    await datastreams.put('c1', 'a-first', fields, 3000);
    await datastreams.put('c2', 'other', fields, 3000);
    assert.deepEqual(
      (await datastreams.list('c1')).map((d) => d.configId),
      ['a-first', 'web:1'],
    );
    assert.deepEqual(
      (await datastreams.list('c2')).map((d) => d.configId),
      ['other'],
    );
    assert.equal(await datastreams.delete('c2', 'web:1'), false, "another client's id is not deleted");
    assert.equal(await datastreams.delete('c1', 'web:1'), true);
    assert.equal(await datastreams.delete('c1', 'web:1'), false);
    assert.equal(await datastreams.get('web:1'), null);
  });

  test("datastreams: an id is unique on the server; another client's put names the owner and writes nothing, also when racing", async () => {
    const { datastreams } = storesOf();
    await datastreams.put('c1', 'taken', fields, 1000);
    assert.deepEqual(await datastreams.put('c2', 'taken', { ...fields, imsOrgId: 'EVIL@AdobeOrg' }, 2000), { takenBy: 'c1' });
    assert.equal((await datastreams.get('taken'))?.imsOrgId, 'ORG1@AdobeOrg');
    const raced = await Promise.all([datastreams.put('c1', 'race', fields, 1), datastreams.put('c2', 'race', fields, 1)]);
    const winners = raced.filter((result) => 'created' in result && result.created);
    const losers = raced.filter((result) => 'takenBy' in result);
    assert.equal(winners.length, 1);
    assert.equal(losers.length, 1);
  });
}
