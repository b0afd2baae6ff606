import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { VisitorIdRef } from '../../domain/identity.js';
import type { VisitorState } from '../../domain/visitor-merge.js';
import type { VisitWrite } from '../../features/delivery/visits-store.js';
import { openSqlite } from './database.js';
import { SqliteVisitsStore } from './sqlite-visits-store.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visits-store-'));
const db = openSqlite({ dataDir: dir, synchronous: 'NORMAL' });
const store = new SqliteVisitsStore(db);
after(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const tnt = (value: string): VisitorIdRef => ({ kind: 'tntId', value });
const setting =
  (name: string, value: string, now = 1000) =>
  (state: VisitorState): VisitorState => ({
    ...state,
    attributes: new Map(state.attributes).set(name, { value, modifiedAt: now }),
  });
const visit = (refs: VisitorIdRef[], apply: VisitWrite['apply'], now = 1000): VisitWrite => ({
  now,
  expiresAt: now + 10_000,
  maxProfileBytes: 65_536,
  refs,
  apply,
});
const countProfiles = () => db.prepare('SELECT COUNT(*) FROM profiles').pluck().get() as number;

test('visits arriving together (one commit): a refused one leaves no trace, the others land in order', async () => {
  const refusal = new Error('too large');
  const [first, refused, third] = await Promise.allSettled([
    store.recordVisit('c', visit([tnt('g1')], setting('a', '1'))),
    store.recordVisit(
      'c',
      visit([tnt('g2')], () => {
        throw refusal;
      }),
    ),
    store.recordVisit('c', visit([tnt('g1')], setting('b', '2'))),
  ]);
  assert.equal(first.status, 'fulfilled');
  assert.deepEqual(refused, { status: 'rejected', reason: refusal });
  assert.equal(third.status, 'fulfilled');
  const last = (third as PromiseFulfilledResult<{ state: VisitorState; created: boolean }>).value;
  assert.equal(last.created, false, 'the third visit saw the first one');
  assert.deepEqual([...last.state.attributes.keys()].sort(), ['a', 'b']);
  assert.equal(db.prepare("SELECT COUNT(*) FROM profile_ids WHERE id_value = 'g2'").pluck().get(), 0);
});

test('an expired profile counts as unknown and is purged with its ids', async () => {
  await store.recordVisit('c', visit([tnt('old'), { kind: 'marketingCloudVisitorId', value: 'old-ecid' }], setting('x', '1'), 0));
  const again = await store.recordVisit(
    'c',
    visit([tnt('old')], (s) => s, 20_000),
  );
  assert.equal(again.created, true);
  assert.equal(again.state.attributes.size, 0);
  assert.equal(db.prepare("SELECT COUNT(*) FROM profile_ids WHERE id_value = 'old-ecid'").pluck().get(), 0);
});

test('merging moves every id of the absorbed profile and deletes it', async () => {
  await store.recordVisit('c', visit([tnt('m-device'), { kind: 'marketingCloudVisitorId', value: 'm-ecid' }], setting('anon', 'yes')));
  await store.recordVisit('c', visit([tnt('m-other'), { kind: 'thirdPartyId', value: 'm-person' }], setting('crm', 'yes')));
  const before = countProfiles();
  const merged = await store.recordVisit(
    'c',
    visit([tnt('m-device'), { kind: 'thirdPartyId', value: 'm-person' }], (s) => s),
  );
  assert.equal(merged.absorbed, 1);
  assert.equal(countProfiles(), before - 1);
  const keys = db
    .prepare("SELECT DISTINCT profile_key FROM profile_ids WHERE id_value IN ('m-device', 'm-ecid', 'm-other', 'm-person')")
    .pluck()
    .all();
  assert.deepEqual(keys, [merged.key]);
  assert.deepEqual([...merged.state.attributes.keys()].sort(), ['anon', 'crm']);
});
