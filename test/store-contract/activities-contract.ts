import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Activity } from '../../src/features/decisioning/activity.js';
import type { Stores } from '../../src/store/open-stores.js';

/**
 * Activities, their revisions and the server secrets: what ActivitiesService relies on, on every
 * store. Registered inside describeStoreContract, with clients c1 and c2 existing.
 */
export function activitiesContract(storesOf: () => Stores): void {
  const activity = (name: string, content = '<p>x</p>'): Activity => ({
    name,
    type: 'xt',
    state: 'live',
    priority: 5,
    startsAt: '2026-12-01T00:00:00Z',
    audience: { '==': [{ var: 'profile.tier' }, 'gold'] },
    experiences: [{ id: 'only', offers: { hero: { type: 'json', content: { text: content, list: [1, null, 'é'] } } } }],
    metrics: [],
  });

  test('activities: created at version 1, replaced at the next, listed by id, per client, deleted', async () => {
    const { activities } = storesOf();
    const created = await activities.put('c1', 'hero', activity('Hero'), 1000);
    assert.ok(!('mismatch' in created));
    assert.equal(created.created, true);
    assert.deepEqual(created.activity, { ...activity('Hero'), id: 'hero', version: 1, createdAt: 1000, modifiedAt: 1000 });
    const replaced = await activities.put('c1', 'hero', activity('Hero 2'), 2000);
    assert.deepEqual(
      !('mismatch' in replaced) && [replaced.created, replaced.activity.version, replaced.activity.createdAt, replaced.activity.modifiedAt],
      [false, 2, 1000, 2000],
    );
    assert.deepEqual(await activities.get('c1', 'hero'), {
      ...activity('Hero 2'),
      id: 'hero',
      version: 2,
      createdAt: 1000,
      modifiedAt: 2000,
    });
    await activities.put('c1', 'B-side', activity('B'), 3000);
    await activities.put('c1', 'a-side', activity('a'), 3000);
    await activities.put('c2', 'hero', activity('Other client'), 3000);
    assert.deepEqual(
      (await activities.list('c1')).map((a) => a.id),
      ['B-side', 'a-side', 'hero'],
      'code-unit order, whatever the database collation',
    );
    assert.equal((await activities.get('c2', 'hero'))?.name, 'Other client');
    assert.equal(await activities.get('c1', 'nope'), null);
    assert.equal(await activities.delete('c1', 'a-side'), true);
    assert.equal(await activities.delete('c1', 'a-side'), false);
    assert.deepEqual(
      (await activities.list('c1')).map((a) => a.id),
      ['B-side', 'hero'],
    );
    assert.equal((await activities.get('c2', 'hero'))?.version, 1, "another client's activity is its own");
  });

  test('activities: 10 concurrent replacements store versions 2 to 11, each once', async () => {
    const { activities } = storesOf();
    await activities.put('c2', 'race', activity('Race'), 1);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => activities.put('c2', 'race', activity(`Race ${i}`), 10 + i)));
    const versions = answers.map((answer) => ('mismatch' in answer ? -1 : answer.activity.version)).sort((a, b) => a - b);
    assert.deepEqual(versions, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.equal((await activities.get('c2', 'race'))?.version, 11);
  });

  test('activities: a write expecting another version, or an activity that is not there, changes nothing', async () => {
    const { activities } = storesOf();
    await activities.put('c1', 'cond', activity('Cond'), 1);
    assert.deepEqual(await activities.put('c1', 'cond', activity('Lost'), 2, 7), { mismatch: true, current: 1 });
    assert.deepEqual(await activities.put('c1', 'missing', activity('Lost'), 2, '*'), { mismatch: true, current: null });
    assert.deepEqual(await activities.delete('c1', 'cond', 2), { mismatch: true, current: 1 });
    assert.equal((await activities.get('c1', 'cond'))?.name, 'Cond');
    assert.equal(await activities.get('c1', 'missing'), null);
    const matched = await activities.put('c1', 'cond', activity('Won'), 3, 1);
    assert.equal(!('mismatch' in matched) && matched.activity.version, 2);
    assert.equal(await activities.delete('c1', 'cond', '*'), true);
  });

  test('activities: every write changes the revision, read in one snapshot with the activities', async () => {
    const { activities } = storesOf();
    await storesOf().clients.upsert('rev', {}, 1);
    assert.deepEqual(await activities.snapshot('rev'), { revision: 0, activities: [], imported: null });
    assert.equal(await activities.revision('rev'), 0);
    await activities.put('rev', 'a', activity('A'), 1);
    const first = await activities.revision('rev');
    await activities.put('rev', 'a', activity('A2'), 2);
    const second = await activities.revision('rev');
    await activities.delete('rev', 'a');
    const third = await activities.revision('rev');
    assert.ok(first !== 0 && second !== first && third !== second && third !== first, `${first} ${second} ${third}`);
    assert.deepEqual(await activities.snapshot('rev'), { revision: third, activities: [], imported: null });
    await activities.put('c1', 'elsewhere', activity('E'), 3);
    assert.equal(await activities.revision('rev'), third, "another client's writes leave it alone");
  });

  test('imported artifacts: one per client, versioned, read in the snapshot, each write changing the revision', async () => {
    const { activities } = storesOf();
    await storesOf().clients.upsert('imports', {}, 1);
    assert.equal(await activities.importedArtifact('imports'), null);
    assert.equal(await activities.deleteImportedArtifact('imports'), false);
    const before = await activities.revision('imports');
    const first = await activities.putImportedArtifact('imports', '{"version":"1.0.0"}', 10);
    assert.deepEqual(first, { body: '{"version":"1.0.0"}', version: 1, importedAt: 10 });
    const afterFirst = await activities.revision('imports');
    assert.notEqual(afterFirst, before);
    const second = await activities.putImportedArtifact('imports', '{"version":"1.1.0"}', 20);
    assert.deepEqual(second, { body: '{"version":"1.1.0"}', version: 2, importedAt: 20 });
    assert.deepEqual((await activities.snapshot('imports')).imported, second);
    assert.equal(await activities.importedArtifact('c1'), null, "another client's artifact is its own");
    assert.equal(await activities.deleteImportedArtifact('imports'), true);
    assert.equal(await activities.importedArtifact('imports'), null);
    assert.notEqual(await activities.revision('imports'), afterFirst);
  });

  test('server secrets: the first stored wins, also when several processes store one at once', async () => {
    const { activities } = storesOf();
    const answers = await Promise.all(['k1', 'k2', 'k3', 'k4'].map((candidate) => activities.serverSecret('test-key', candidate, 1)));
    assert.equal(new Set(answers).size, 1);
    assert.ok(['k1', 'k2', 'k3', 'k4'].includes(answers[0]!));
    assert.equal(await activities.serverSecret('test-key', 'later', 2), answers[0]);
    assert.equal(await activities.serverSecret('other-key', 'o1', 2), 'o1');
  });

  test('clients: a response-token list is stored, kept by other patches, and reset by null', async () => {
    const { clients } = storesOf();
    const set = await clients.upsert('tokens', { responseTokens: ['activity.id', 'profile.tier'] }, 1);
    assert.deepEqual(set.client.responseTokens, ['activity.id', 'profile.tier']);
    await clients.upsert('tokens', { requireAuth: false }, 2);
    assert.deepEqual((await clients.get('tokens'))?.responseTokens, ['activity.id', 'profile.tier']);
    await clients.upsert('tokens', { responseTokens: null }, 3);
    assert.equal((await clients.get('tokens'))?.responseTokens, null);
  });
}
