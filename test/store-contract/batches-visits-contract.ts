import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { applyWrites, ProfileTooLargeError, profileBytes, SESSION_ATTRIBUTES_ROOM } from '../../src/domain/attributes.js';
import { recordSessionVisit } from '../../src/domain/sessions.js';
import type { VisitorIdRef } from '../../src/domain/identity.js';
import type { VisitorState } from '../../src/domain/visitor-merge.js';
import { BatchFiles } from '../../src/features/batches/batch-files.js';
import { type BatchChunk, BatchCursorMovedError, type ChunkRow, type NewBatch } from '../../src/features/batches/batches-store.js';
import { ROW_NOT_UTF8_REASON } from '../../src/features/batches/row-keys.js';
import type { VisitWrite } from '../../src/features/delivery/visits-store.js';
import type { Stores } from '../../src/store/open-stores.js';
import { tempDir } from '../support/server.js';

/**
 * Batches and visits: the behaviour BatchProcessor and DeliveryService rely on, on every store.
 * Registered inside describeStoreContract, with clients c1 and c2 existing.
 */
export function batchesAndVisitsContract(storesOf: () => Stores): void {
  const tnt = (value: string): VisitorIdRef => ({ kind: 'tntId', value });
  const third = (value: string): VisitorIdRef => ({ kind: 'thirdPartyId', value });
  const MAX = 65_536;

  const newBatch = (batchId: string, client: string, apiVersion: 1 | 2, submittedAt = 1): NewBatch => ({
    batchId,
    client,
    apiVersion,
    keyColumn: 'pcId',
    attributes: ['a', 'b'],
    bodyFile: `${batchId}.batch`,
    bodyBytes: 1000,
    batchSize: 10,
    firstOffset: 20,
    firstLine: 2,
    submittedAt,
  });
  /** A data row writing `pairs` to the tntId `key`, as the processor plans it (ProfilesService.profileWrite). */
  const writeRow = (line: number, key: string, pairs: Record<string, string>, now: number, create: boolean): ChunkRow => {
    const writes = Object.entries(pairs).map(([name, value]) => ({ name, value }));
    return {
      kind: 'write',
      line,
      key,
      ref: tnt(key),
      write: { now, expiresAt: now + 1000, create, apply: (existing) => applyWrites(existing, writes, now, MAX) },
    };
  };
  const chunk = (batchId: string, client: string, fromOffset: number, rows: ChunkRow[], last = false, now = 100): BatchChunk => ({
    batchId,
    client,
    fromOffset,
    rows,
    nextOffset: fromOffset + 100,
    nextLine: 2 + rows.length,
    last,
    now,
  });
  const values = async (client: string, ref: VisitorIdRef, now = 100) => {
    const profile = await storesOf().profiles.find(client, ref, now);
    return profile && Object.fromEntries([...profile.attributes].map(([name, a]) => [name, a.value]));
  };

  test('batches: recorded per client, oldest first among the unfinished, invisible to other clients', async () => {
    const { batches } = storesOf();
    await batches.create(newBatch('c1-b1', 'c1', 2, 1));
    await batches.create(newBatch('c2-b1', 'c2', 1, 2));
    const stored = await batches.get('c1', 'c1-b1');
    assert.deepEqual(
      stored && {
        status: stored.status,
        nextOffset: stored.nextOffset,
        nextLine: stored.nextLine,
        consumed: stored.consumedCount,
        attributes: stored.attributes,
      },
      { status: 'incomplete', nextOffset: 20, nextLine: 2, consumed: 0, attributes: ['a', 'b'] },
    );
    assert.equal(await batches.get('c2', 'c1-b1'), null);
    assert.equal(await batches.statusOf('c1-b1'), 'incomplete');
    assert.equal(await batches.statusOf('nope'), null);
    // A store shared by several processes may hand the heads out over successive calls.
    const offered: string[] = [];
    for (let call = 0; call < 4; call++) {
      for (const { batchId } of await batches.unfinished()) if (!offered.includes(batchId)) offered.push(batchId);
    }
    assert.deepEqual(
      offered.filter((id) => id === 'c1-b1' || id === 'c2-b1'),
      ['c1-b1', 'c2-b1'],
    );
  });

  test('batches: a chunk applies its rows in file order, reports failed ones and moves the cursor, all at once', async () => {
    const { batches } = storesOf();
    await batches.create(newBatch('order', 'c1', 2));
    const after = await batches.applyChunk(
      chunk('order', 'c1', 20, [
        writeRow(2, 'dup', { a: 'first', b: 'kept' }, 100, true),
        { kind: 'failed', failure: { line: 3, key: 'bad', reason: 'undecodable %zz' } },
        { kind: 'unchanged' },
        writeRow(5, 'dup', { a: 'second', b: '' }, 100, true),
        writeRow(6, 'huge', { a: 'x'.repeat(MAX) }, 100, true),
      ]),
    );
    assert.deepEqual(
      {
        next: after.nextOffset,
        line: after.nextLine,
        consumed: after.consumedCount,
        ok: after.successfulUpdates,
        notFound: after.profilesNotFound,
        failed: after.failedUpdates,
      },
      { next: 120, line: 7, consumed: 5, ok: 3, notFound: 0, failed: 2 },
    );
    assert.deepEqual(
      await values('c1', tnt('dup')),
      { a: 'second', b: 'kept' },
      'duplicates apply in file order, empty cells change nothing',
    );
    assert.equal(await values('c1', tnt('huge')), null, 'a row over 64 KB creates nothing');
    const failures = await batches.failures('order', 0, 10);
    assert.deepEqual(
      failures.map((f) => [f.line, f.key]),
      [
        [3, 'bad'],
        [6, 'huge'],
      ],
    );
    assert.match(failures[1]!.reason, /64 KB/);
    assert.deepEqual(
      (await batches.failures('order', 3, 10)).map((f) => f.line),
      [6],
      'paged by line',
    );
    const profile = await storesOf().profiles.find('c1', tnt('dup'), 100);
    assert.equal(profile?.expiresAt, 1100, 'bulk rows stamp the expiry');
  });

  test('batches: a row refused over 64 KB leaves its profile as it was; the rows after it still apply to it', async () => {
    const { batches } = storesOf();
    await batches.create(newBatch('refused-row', 'c1', 2));
    const after = await batches.applyChunk(
      chunk('refused-row', 'c1', 20, [
        writeRow(2, 'refused-row-p', { a: 'x'.repeat(MAX - 300) }, 100, true),
        writeRow(3, 'refused-row-p', { b: 'y'.repeat(200) }, 100, true),
        writeRow(4, 'refused-row-p', { c: 'z' }, 100, true),
      ]),
    );
    assert.deepEqual([after.successfulUpdates, after.failedUpdates], [2, 1]);
    assert.deepEqual(
      (await batches.failures('refused-row', 0, 10)).map((f) => f.line),
      [3],
    );
    const profile = await values('c1', tnt('refused-row-p'));
    assert.deepEqual(Object.keys(profile ?? {}), ['a', 'c']);
  });

  test('batches: v1 rows for unknown keys count as not found and create nothing; known keys update, expired ones are unknown', async () => {
    const { batches, profiles } = storesOf();
    await profiles.write('c1', [tnt('v1-known')], {
      now: 50,
      expiresAt: 1050,
      create: true,
      apply: () => new Map([['old', { value: 'o', modifiedAt: 50 }]]),
    });
    await profiles.write('c1', [tnt('v1-expired')], { now: 50, expiresAt: 90, create: true, apply: () => new Map() });
    await batches.create(newBatch('v1', 'c1', 1));
    const after = await batches.applyChunk(
      chunk('v1', 'c1', 20, [
        writeRow(2, 'v1-known', { a: '1' }, 100, false),
        writeRow(3, 'v1-unknown', { a: '1' }, 100, false),
        writeRow(4, 'v1-expired', { a: '1' }, 100, false),
      ]),
    );
    assert.deepEqual([after.successfulUpdates, after.profilesNotFound, after.failedUpdates], [1, 2, 0]);
    assert.deepEqual(await values('c1', tnt('v1-known')), { old: 'o', a: '1' });
    assert.equal(await values('c1', tnt('v1-unknown')), null);
    assert.equal(await values('c1', tnt('v1-expired')), null);
  });

  test('batches: v2 rows create profiles with their key linked; an expired profile is replaced, not revived', async () => {
    const { batches, profiles } = storesOf();
    await profiles.write('c1', [tnt('v2-expired'), third('v2-expired-x')], {
      now: 50,
      expiresAt: 90,
      create: true,
      apply: () => new Map([['stale', { value: 's', modifiedAt: 50 }]]),
    });
    await batches.create(newBatch('v2', 'c1', 2));
    await batches.applyChunk(
      chunk('v2', 'c1', 20, [writeRow(2, 'v2-new', { a: '1' }, 100, true), writeRow(3, 'v2-expired', { a: '2' }, 100, true)]),
    );
    const created = await profiles.find('c1', tnt('v2-new'), 100);
    assert.deepEqual(await profiles.idsOf('c1', created!.key), [tnt('v2-new')]);
    assert.deepEqual(await values('c1', tnt('v2-expired')), { a: '2' });
    assert.equal(await values('c1', third('v2-expired-x')), null, 'the expired profile went with all its ids');
  });

  test('batches: a chunk that does not continue the stored cursor applies nothing; the last one completes the batch', async () => {
    const { batches } = storesOf();
    await batches.create(newBatch('cursor', 'c2', 2));
    await batches.applyChunk(chunk('cursor', 'c2', 20, [writeRow(2, 'cur-1', { a: '1' }, 100, true)]));
    await assert.rejects(
      batches.applyChunk(chunk('cursor', 'c2', 20, [writeRow(2, 'cur-2', { a: '1' }, 100, true)])),
      BatchCursorMovedError,
    );
    assert.equal(await values('c2', tnt('cur-2')), null);
    const done = await batches.applyChunk(chunk('cursor', 'c2', 120, [writeRow(3, 'cur-3', { a: '1' }, 200, true)], true, 200));
    assert.deepEqual([done.status, done.finishedAt, done.consumedCount], ['complete', 200, 2]);
    assert.ok(!(await batches.unfinished()).some((b) => b.batchId === 'cursor'));
    await assert.rejects(batches.applyChunk(chunk('cursor', 'c2', 220, [], true)), BatchCursorMovedError);
  });

  test('batches: a stuck batch keeps its reason and leaves the unfinished list', async () => {
    const { batches } = storesOf();
    await batches.create(newBatch('stuck', 'c2', 2, 3));
    await batches.markStuck('stuck', 'the stored batch body is missing', 300);
    const stuck = await batches.get('c2', 'stuck');
    assert.deepEqual([stuck?.status, stuck?.stuckReason, stuck?.finishedAt], ['stuck', 'the stored batch body is missing', 300]);
    assert.ok(!(await batches.unfinished()).some((b) => b.batchId === 'stuck'));
  });

  test("batches: privacy sees the client's incomplete and stuck batches, oldest first, not complete ones or other clients'", async () => {
    const { batches } = storesOf();
    await batches.create(newBatch('kept-stuck', 'keeper', 2, 10));
    await batches.create(newBatch('kept-done', 'keeper', 2, 11));
    await batches.create(newBatch('kept-open', 'keeper', 1, 12));
    await batches.create(newBatch('kept-elsewhere', 'c2', 2, 13));
    await batches.markStuck('kept-stuck', 'the stored batch body is missing', 20);
    assert.equal((await batches.applyChunk(chunk('kept-done', 'keeper', 20, [], true))).status, 'complete');
    await batches.create({ ...newBatch('kept-by-3p', 'keeper', 2, 14), keyColumn: 'thirdPartyId' });
    assert.deepEqual(await batches.withKeptBodies('keeper'), [
      { batchId: 'kept-stuck', bodyFile: 'kept-stuck.batch', status: 'stuck', keyColumn: 'pcId' },
      { batchId: 'kept-open', bodyFile: 'kept-open.batch', status: 'incomplete', keyColumn: 'pcId' },
      { batchId: 'kept-by-3p', bodyFile: 'kept-by-3p.batch', status: 'incomplete', keyColumn: 'thirdPartyId' },
    ]);
    assert.deepEqual(await batches.withKeptBodies('nobody'), []);
  });

  test("batches: privacy finds the failed rows naming a person: one of its ids of the batch's key kind, exactly, a location hint on a tntId only", async () => {
    const { batches } = storesOf();
    const failed = (line: number, key: string, reason = 'value of attribute a is longer than the 5000-character limit'): ChunkRow => ({
      kind: 'failed',
      failure: { line, key, reason },
    });
    await batches.create(newBatch('pf-pc', 'pf', 2));
    await batches.create({ ...newBatch('pf-3p', 'pf', 2), keyColumn: 'thirdPartyId' });
    await batches.create(newBatch('pf-elsewhere', 'c2', 2));
    await batches.applyChunk(
      chunk('pf-pc', 'pf', 20, [
        failed(2, 'ada'),
        failed(3, 'ada.28_20'), // a location hint: the same visitor
        failed(4, 'ada.x'), // not a location hint: no tntId at all
        failed(5, 'crm-1'), // a tntId of the value of the person's thirdPartyId
        failed(6, 'ada%2E28_20', ROW_NOT_UTF8_REASON), // kept as sent: compared decoded
        failed(7, 'ada%2E28_20'), // decoded already: a tntId holding '%'
        failed(8, 'adam'),
      ]),
    );
    await batches.applyChunk(
      chunk('pf-3p', 'pf', 20, [
        failed(2, 'crm-1'),
        failed(3, 'crm-1.28_20'), // a thirdPartyId has no location hint: another person
        failed(4, 'ada'), // a thirdPartyId of the value of the person's tntId
        failed(5, 'crm%2D1', ROW_NOT_UTF8_REASON),
        failed(6, 'crm%2D1'),
      ]),
    );
    await batches.applyChunk(chunk('pf-elsewhere', 'c2', 20, [failed(2, 'ada'), failed(3, 'crm-1')]));
    const person = { tntIds: ['ada'], thirdPartyIds: ['crm-1'] };
    const lines = async (batchId: string) => (await batches.failures(batchId, 0, 100)).map((f) => f.line);

    assert.deepEqual(
      (await batches.failuresOfPerson('pf', person)).map((f) => [f.batchId, f.line, f.key]),
      [
        ['pf-3p', 2, 'crm-1'],
        ['pf-3p', 5, 'crm%2D1'],
        ['pf-pc', 2, 'ada'],
        ['pf-pc', 3, 'ada.28_20'],
        ['pf-pc', 6, 'ada%2E28_20'],
      ],
    );
    assert.deepEqual(await batches.failuresOfPerson('pf', { tntIds: [], thirdPartyIds: [] }), []);
    assert.equal(await batches.forgetFailuresOfPerson('pf', person), 5);
    assert.deepEqual(await lines('pf-pc'), [4, 5, 7, 8]);
    assert.deepEqual(await lines('pf-3p'), [3, 4, 6]);
    assert.deepEqual(await lines('pf-elsewhere'), [2, 3], "another client's rows are not looked at");
    assert.equal(await batches.forgetFailuresOfPerson('pf', person), 0);
    assert.equal((await batches.get('pf', 'pf-pc'))?.failedUpdates, 7, 'the counters stay');
  });

  test('bodies: a stored body reads back piece by piece in order, whatever its size; a removed one reads nothing', async () => {
    // The embedded store keeps bodies as files of the data directory, PostgreSQL in the database.
    const dataDir = storesOf().batchBodies ? null : tempDir();
    const bodies = storesOf().batchBodies ?? new BatchFiles(dataDir!);
    try {
      const body = Buffer.alloc(2 * 1024 * 1024 + 77);
      for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 11)) & 0xff;
      const writer = await bodies.create('bodies-read-back');
      for (let at = 0; at < body.length; at += 100_000) await writer.write(body.subarray(at, at + 100_000));
      await writer.commit();
      const readAll = async (file: string) => {
        const pieces: Buffer[] = [];
        for await (const piece of bodies.storedPieces(file)) pieces.push(Buffer.from(piece));
        return pieces;
      };
      const pieces = await readAll(writer.file);
      assert.ok(pieces.length > 1, 'more than one piece');
      assert.ok(Buffer.concat(pieces).equals(body));
      // Processing refuses a body of another size than accepted; a stuck body is read as it is.
      await assert.rejects(bodies.openBody(writer.file, body.length + 1));
      await bodies.remove(writer.file);
      assert.deepEqual(await readAll(writer.file), []);
      assert.deepEqual(await readAll('never-stored'), []);
    } finally {
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  const setting =
    (pairs: Record<string, string>, now = 1000) =>
    (state: VisitorState): VisitorState => ({
      ...state,
      attributes: applyWrites(
        state.attributes,
        Object.entries(pairs).map(([name, value]) => ({ name, value })),
        now,
        MAX,
      ),
    });
  const visit = (refs: VisitorIdRef[], apply: VisitWrite['apply'], now = 1000): VisitWrite => ({
    now,
    expiresAt: now + 10_000,
    maxProfileBytes: MAX,
    refs,
    apply,
  });
  const ecid = (value: string): VisitorIdRef => ({ kind: 'marketingCloudVisitorId', value });

  test('visits: a first visit creates one profile holding every id sent, with its session state', async () => {
    const { visits, profiles } = storesOf();
    const session = { id: 's1', startedAt: 1000, lastSeenAt: 1000, previousVisitAt: null };
    const first = await visits.recordVisit(
      'c1',
      visit([tnt('vis-t'), ecid('vis-e')], (s) => ({ ...setting({ a: '1' })(s), session })),
    );
    assert.equal(first.created, true);
    const again = await visits.recordVisit(
      'c1',
      visit([ecid('vis-e')], (s) => s, 2000),
    );
    assert.deepEqual([again.created, again.key, again.state.session], [false, first.key, session]);
    assert.deepEqual(await profiles.idsOf('c1', first.key), [ecid('vis-e'), tnt('vis-t')]);
    assert.equal((await profiles.find('c1', tnt('vis-t'), 2000))?.expiresAt, 12_000, 'a visit touches the expiry');
  });

  test('visits: a login merges the anonymous profile into the known person, whose values win', async () => {
    const { visits, profiles } = storesOf();
    await visits.recordVisit('c1', visit([tnt('m-device'), ecid('m-ecid')], setting({ anon: 'yes', color: 'red' })));
    const person = await visits.recordVisit('c1', visit([tnt('m-other'), third('m-person')], setting({ crm: 'yes', color: 'blue' })));
    const merged = await visits.recordVisit(
      'c1',
      visit([tnt('m-device'), third('m-person')], (s) => s),
    );
    assert.deepEqual([merged.key, merged.absorbed], [person.key, 1]);
    assert.deepEqual(await values('c1', ecid('m-ecid'), 1000), { crm: 'yes', color: 'blue', anon: 'yes' });
    assert.deepEqual(await profiles.idsOf('c1', person.key), [ecid('m-ecid'), third('m-person'), tnt('m-device'), tnt('m-other')]);
    // Deleting the person reaches every id, the absorbed ones included.
    assert.equal((await profiles.delete('c1', tnt('m-other'), 1000))?.ids.length, 4);
    for (const ref of [ecid('m-ecid'), third('m-person'), tnt('m-device')]) assert.equal(await values('c1', ref, 1000), null);
  });

  test('visits: a device of another person is re-pointed, never merged; a refused visit writes nothing', async () => {
    const { visits, profiles } = storesOf();
    const alice = await visits.recordVisit('c1', visit([tnt('r-device'), third('r-alice')], setting({ who: 'alice' })));
    const bob = await visits.recordVisit('c1', visit([tnt('r-device'), third('r-bob')], setting({ who: 'bob' })));
    assert.deepEqual([bob.created, bob.absorbed], [true, 0]);
    assert.deepEqual(await profiles.idsOf('c1', alice.key), [third('r-alice')], 'the device left alice');
    assert.deepEqual(await profiles.idsOf('c1', bob.key), [third('r-bob'), tnt('r-device')]);
    assert.deepEqual(await values('c1', third('r-alice'), 1000), { who: 'alice' });
    assert.deepEqual(await values('c1', tnt('r-device'), 1000), { who: 'bob' });
    await assert.rejects(
      visits.recordVisit(
        'c1',
        visit([tnt('r-device'), tnt('r-new')], () => {
          throw new Error('profile too large');
        }),
      ),
      /too large/,
    );
    assert.equal(await values('c1', tnt('r-new'), 1000), null);
    // Deleting alice leaves the device with bob.
    assert.deepEqual((await profiles.delete('c1', third('r-alice'), 1000))?.ids, [third('r-alice')]);
    assert.deepEqual(await values('c1', tnt('r-device'), 1000), { who: 'bob' });
  });

  test('visits: concurrent first logins from many devices end on one profile with nothing lost', async () => {
    const { visits, profiles } = storesOf();
    const tabs = 30;
    await Promise.all(
      Array.from({ length: tabs }, (_, i) => visits.recordVisit('c2', visit([tnt(`cl-${i}`)], setting({ [`anon${i}`]: 'kept' })))),
    );
    await Promise.all(
      Array.from({ length: tabs }, (_, i) =>
        visits.recordVisit('c2', visit([tnt(`cl-${i}`), third('cl-person')], setting({ [`login${i}`]: 'yes' }))),
      ),
    );
    const person = await values('c2', third('cl-person'), 1000);
    for (let i = 0; i < tabs; i++) {
      assert.equal(person?.[`anon${i}`], 'kept');
      assert.equal(person?.[`login${i}`], 'yes');
      assert.deepEqual(await values('c2', tnt(`cl-${i}`), 1000), person);
    }
    const key = (await profiles.find('c2', third('cl-person'), 1000))!.key;
    assert.equal((await profiles.idsOf('c2', key)).length, tabs + 1, 'the person lists every device');
  });

  test('visits: single updates racing the merge of their profile are never lost', async () => {
    const { visits, profiles } = storesOf();
    const pairs = 25;
    for (let i = 0; i < pairs; i++) {
      await visits.recordVisit('c2', visit([tnt(`race-anon-${i}`)], setting({ anon: 'kept' })));
      await visits.recordVisit('c2', visit([tnt(`race-other-${i}`), third(`race-person-${i}`)], setting({ crm: 'yes' })));
    }
    await Promise.all(
      Array.from({ length: pairs }, (_, i) => [
        profiles.write('c2', [tnt(`race-anon-${i}`)], {
          now: 1000,
          expiresAt: 11_000,
          create: false,
          apply: (existing) => applyWrites(existing, [{ name: 'update', value: `u${i}` }], 1000, MAX),
        }),
        visits.recordVisit(
          'c2',
          visit([tnt(`race-anon-${i}`), third(`race-person-${i}`)], (state) => state),
        ),
      ]).flat(),
    );
    for (let i = 0; i < pairs; i++) {
      assert.deepEqual(await values('c2', third(`race-person-${i}`), 1000), { anon: 'kept', crm: 'yes', update: `u${i}` });
    }
  });

  test('visits: a visit past the size limit is refused whole, its merge included; session stamps never refuse one nor pass the limit', async () => {
    const { visits } = storesOf();
    await visits.recordVisit('c1', visit([tnt('big-device')], setting({ anon: 'x'.repeat(30_000) })));
    await visits.recordVisit('c1', visit([tnt('big-other'), third('big-person')], setting({ crm: 'y'.repeat(30_000) })));
    await assert.rejects(
      visits.recordVisit('c1', visit([tnt('big-device'), third('big-person')], setting({ more: 'z'.repeat(6000) }))),
      ProfileTooLargeError,
    );
    assert.deepEqual(Object.keys((await values('c1', tnt('big-device'), 1000)) ?? {}), ['anon'], 'not merged');
    assert.deepEqual(Object.keys((await values('c1', third('big-person'), 1000)) ?? {}), ['crm']);

    // Callers' data leaves the session attributes their room: one byte into it is refused.
    await assert.rejects(
      visits.recordVisit('c1', visit([tnt('at-limit')], setting({ a: 'x'.repeat(MAX - SESSION_ATTRIBUTES_ROOM) }))),
      ProfileTooLargeError,
    );
    await visits.recordVisit('c1', visit([tnt('at-limit')], setting({ a: 'x'.repeat(MAX - SESSION_ATTRIBUTES_ROOM - 1) })));
    const session = await visits.recordVisit(
      'c1',
      visit([tnt('at-limit')], (state) => ({ ...state, attributes: recordSessionVisit(state.attributes, null, 's1', 1000).attributes })),
    );
    assert.equal(session.state.attributes.get('sessionCount')?.value, '1');
    const stored = await storesOf().profiles.find('c1', tnt('at-limit'), 1000);
    assert.ok(profileBytes(stored!.attributes) <= MAX, `${profileBytes(stored!.attributes)} bytes stored`);
  });

  test('visits: a login merge skipped over the size limit leaves the anonymous profile its ids, so no data is left without an id', async () => {
    const { visits, profiles } = storesOf();
    const device = await visits.recordVisit('c1', visit([tnt('orph-device'), ecid('orph-ecid')], setting({ anon: 'a'.repeat(40_000) })));
    const person = await visits.recordVisit('c1', visit([tnt('orph-other'), third('orph-person')], setting({ crm: 'c'.repeat(40_000) })));
    const login = await visits.recordVisit('c1', visit([tnt('orph-device'), third('orph-person')], setting({ seen: 'yes' })));
    assert.deepEqual([login.key, login.absorbed], [person.key, 0]);
    assert.deepEqual(await profiles.idsOf('c1', device.key), [ecid('orph-ecid'), tnt('orph-device')], 'the device keeps its ids');
    assert.deepEqual(await profiles.idsOf('c1', person.key), [third('orph-person'), tnt('orph-other')]);
    assert.deepEqual(Object.keys((await values('c1', tnt('orph-device'), 1000)) ?? {}), ['anon'], 'the tntId still leads to its data');
    // Deleting the person, then the device by its tntId, leaves no profile behind.
    assert.equal((await profiles.delete('c1', third('orph-person'), 1000))?.ids.length, 2);
    assert.equal((await profiles.delete('c1', tnt('orph-device'), 1000))?.ids.length, 2);
    assert.equal(await values('c1', ecid('orph-ecid'), 1000), null);
  });

  test('visits: ids per profile are capped per kind; a visit that would pass a cap is refused whole, one that gains none still works', async () => {
    const { visits, profiles } = storesOf();
    const cust = (value: string): VisitorIdRef => ({ kind: 'customerId', value });
    const capped = (refs: VisitorIdRef[]): VisitWrite => ({
      ...visit(refs, setting({ seen: 'yes' })),
      idCaps: { maxDeviceIdsPerKind: 3, maxCustomerIdsPerKind: 2 },
    });
    const first = await visits.recordVisit('c2', capped([tnt('cap-t0'), third('cap-person'), cust('cap-c0'), cust('cap-c1')]));
    await assert.rejects(visits.recordVisit('c2', capped([tnt('cap-t0'), cust('cap-c2')])), /more than 2 ids of kind customerId/);
    for (const i of [1, 2]) await visits.recordVisit('c2', capped([tnt(`cap-t${i}`), third('cap-person')]));
    await assert.rejects(visits.recordVisit('c2', capped([tnt('cap-t3'), third('cap-person')])), /more than 3 ids of kind tntId/);
    // A merge bringing tntIds past the cap is refused too.
    await visits.recordVisit('c2', capped([tnt('cap-anon')]));
    await assert.rejects(visits.recordVisit('c2', capped([tnt('cap-anon'), third('cap-person')])), /more than 3 ids of kind tntId/);
    assert.equal((await profiles.idsOf('c2', first.key)).length, 6, 'nothing of the refused visits was linked');
    assert.equal(await values('c2', cust('cap-c2'), 1000), null);
    assert.deepEqual(Object.keys((await values('c2', tnt('cap-anon'), 1000)) ?? {}), ['seen'], 'not merged');
    const again = await visits.recordVisit('c2', capped([tnt('cap-t2'), third('cap-person'), cust('cap-c1')]));
    assert.equal(again.key, first.key, 'a visit of known ids is never refused');
  });

  test('visits: an expired profile counts as unknown and goes with its ids', async () => {
    const { visits } = storesOf();
    await visits.recordVisit('c2', visit([tnt('x-old'), ecid('x-old-ecid')], setting({ x: '1' }, 0), 0));
    const again = await visits.recordVisit(
      'c2',
      visit([tnt('x-old')], (s) => s, 20_000),
    );
    assert.deepEqual([again.created, again.state.attributes.size], [true, 0]);
    assert.equal(await values('c2', ecid('x-old-ecid'), 20_000), null);
  });
}
