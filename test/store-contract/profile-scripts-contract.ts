import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Stores } from '../../src/store/open-stores.js';

/**
 * Profile scripts and their revisions: what ProfileScriptsService relies on, on every store.
 * Registered inside describeStoreContract, with clients c1 and c2 existing.
 */
export function profileScriptsContract(storesOf: () => Stores): void {
  test('profile scripts: created at version 1, replaced at the next, listed by name, per client, deleted; each write bumps the revision', async () => {
    const { profileScripts: scripts } = storesOf();
    const start = await scripts.revision('c1');
    const created = await scripts.put('c1', 'visits', { source: 'return 1', description: 'counts', enabled: true }, 1000);
    assert.equal(created.created, true);
    assert.deepEqual(created.script, {
      name: 'visits',
      source: 'return 1',
      description: 'counts',
      enabled: true,
      disabledReason: null,
      disabledMessage: null,
      disabledAt: null,
      version: 1,
      createdAt: 1000,
      modifiedAt: 1000,
    });
    const replaced = await scripts.put('c1', 'visits', { source: 'return 2', description: null, enabled: false }, 2000);
    assert.deepEqual(
      [replaced.created, replaced.script.version, replaced.script.enabled, replaced.script.createdAt],
      [false, 2, false, 1000],
    );
    await scripts.put('c1', 'Zeta', { source: 'return 3', description: null, enabled: true }, 3000);
    await scripts.put('c2', 'visits', { source: 'return "other"', description: null, enabled: true }, 3000);
    assert.deepEqual(
      (await scripts.list('c1')).map((s) => s.name),
      ['Zeta', 'visits'],
      'code-unit order',
    );
    assert.equal((await scripts.get('c2', 'visits'))?.source, 'return "other"');
    assert.equal(await scripts.delete('c1', 'Zeta'), true);
    assert.equal(await scripts.delete('c1', 'Zeta'), false);
    const snapshot = await scripts.snapshot('c1');
    assert.deepEqual(
      snapshot.scripts.map((s) => s.name),
      ['visits'],
    );
    assert.equal(snapshot.revision, await scripts.revision('c1'));
    assert.ok(snapshot.revision >= start + 4, 'three puts and one delete of c1 each changed it');
  });

  test('profile scripts: disabling records the reason once, for the version that failed; a PUT clears it', async () => {
    const { profileScripts: scripts } = storesOf();
    const { script } = await scripts.put('c1', 'spin', { source: 'for(;;){}', description: null, enabled: true }, 1000);
    assert.equal(
      await scripts.disable('c1', 'spin', script.version + 1, 'budget', 'too slow', 2000),
      false,
      'a newer version is not disabled',
    );
    const before = await scripts.revision('c1');
    assert.equal(await scripts.disable('c1', 'spin', script.version, 'budget', 'ran past its budget', 2000), true);
    assert.equal(await scripts.disable('c1', 'spin', script.version, 'threw', 'again', 3000), false, 'the first reason stays');
    assert.equal(await scripts.revision('c1'), before + 1);
    const disabled = await scripts.get('c1', 'spin');
    assert.deepEqual([disabled?.disabledReason, disabled?.disabledMessage, disabled?.disabledAt], ['budget', 'ran past its budget', 2000]);
    assert.ok((await scripts.disabledCounts()).some(({ reason, count }) => reason === 'budget' && count >= 1));
    const again = await scripts.put('c1', 'spin', { source: 'return 1', description: null, enabled: true }, 4000);
    assert.deepEqual([again.script.disabledReason, again.script.disabledAt, again.script.version], [null, null, 2]);
  });
}
