import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ManualClock } from '../src/domain/clock.js';
import { DATABASE_FILE } from '../src/store/sqlite/database.js';
import { admin, startTestServer, type TestServer } from './support/server.js';
import { attributesOf, deliver } from './support/delivery.js';

/** Id linking and merging on delivery calls (docs/wire-contract.md#4-merging-ids, docs/merging.md). */
const clock = new ManualClock(Date.UTC(2026, 2, 1, 12));
let server: TestServer;
before(async () => {
  server = await startTestServer({ clock });
});
after(() => server.dispose());

let session = 0;
/** One page view; every call is a fresh session so that no test depends on another's timing. */
async function visit(id: Record<string, unknown>, profileParameters: Record<string, string> = {}) {
  clock.advance(1000);
  const answer = await deliver(server, `client=demo&sessionId=merge-${++session}`, {
    context: { channel: 'web' },
    id,
    execute: { pageLoad: { profileParameters } },
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body as { id: { tntId: string } };
}

/** Reads the store directly: how many profiles and which ids exist is the observable truth of a merge. */
function storeFacts(): { profiles: number; idsOf(kind: string, value: string): string | undefined } {
  const db = new Database(path.join(server.dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
  try {
    const profiles = db.prepare("SELECT COUNT(*) FROM profiles WHERE client = 'demo'").pluck().get() as number;
    const keys = new Map(
      (
        db.prepare("SELECT id_kind, id_value, profile_key FROM profile_ids WHERE client = 'demo'").all() as Array<{
          id_kind: string;
          id_value: string;
          profile_key: string;
        }>
      ).map((row) => [`${row.id_kind}/${row.id_value}`, row.profile_key]),
    );
    return { profiles, idsOf: (kind, value) => keys.get(`${kind}/${value}`) };
  } finally {
    db.close();
  }
}

async function adminIds(kind: string, id: string): Promise<Record<string, string[]>> {
  const response = await admin(server, 'GET', `/admin/v1/clients/demo/profiles/${kind}/${id}`);
  assert.equal(response.status, 200);
  return ((await response.json()) as { ids: Record<string, string[]> }).ids;
}

describe("linking and merging a visitor's ids", () => {
  test("T + an unknown thirdPartyId X: X becomes an id of T's profile, in that very request", async () => {
    await visit({ tntId: 'r1-device' }, { color: 'red' });
    const before = storeFacts().profiles;
    await visit({ tntId: 'r1-device', thirdPartyId: 'r1-person' }, { size: 'M' });
    assert.deepEqual(await attributesOf(server, 'thirdPartyId/r1-person'), await attributesOf(server, 'r1-device'));
    assert.equal((await attributesOf(server, 'thirdPartyId/r1-person'))?.color, 'red');
    assert.equal(storeFacts().profiles, before, 'no profile created');
  });

  test("T + X of another profile, T anonymous: union with X winning, T an alias, T's profile deleted", async () => {
    await visit({ thirdPartyId: 'r2-person' }, { category: 'skis', tier: 'gold' });
    const skisAt = clock.now();
    await visit({ tntId: 'r2-device' }, { category: 'hats', store: '94103' });
    const storeAt = clock.now();
    const before = storeFacts().profiles;

    await visit({ tntId: 'r2-device', thirdPartyId: 'r2-person' });
    const response = await server.fetch('/rest/v1/profiles/thirdPartyId/r2-person?client=demo', {
      headers: { authorization: `Bearer ${server.demoToken}` },
    });
    const merged = (await response.json()) as { profileAttributes: Record<string, { value: string; modifiedAt: string }> };
    assert.equal(merged.profileAttributes.category?.value, 'skis');
    assert.equal(
      merged.profileAttributes.category?.modifiedAt,
      new Date(skisAt).toISOString().replace('Z', '+00:00'),
      'modifiedAt from the winning side',
    );
    assert.equal(merged.profileAttributes.store?.value, '94103');
    assert.equal(merged.profileAttributes.store?.modifiedAt, new Date(storeAt).toISOString().replace('Z', '+00:00'));
    assert.equal(merged.profileAttributes.tier?.value, 'gold');
    assert.equal(merged.profileAttributes.sessionCount?.value, '3', 'the sessions of both sides count');

    const facts = storeFacts();
    assert.equal(facts.profiles, before - 1, 'the anonymous profile is gone');
    assert.equal(facts.idsOf('tntId', 'r2-device'), facts.idsOf('thirdPartyId', 'r2-person'));
    assert.deepEqual(await adminIds('tntId', 'r2-device'), await adminIds('thirdPartyId', 'r2-person'));
  });

  test('T already belonging to person Y + X: T is re-pointed to X, Y keeps its data', async () => {
    await visit({ tntId: 'r3-device', thirdPartyId: 'r3-alice' }, { name: 'alice' });
    await visit({ thirdPartyId: 'r3-bob' }, { name: 'bob' });
    const before = storeFacts().profiles;

    await visit({ tntId: 'r3-device', thirdPartyId: 'r3-bob' }, { lastLogin: 'bob' });
    assert.equal((await attributesOf(server, 'r3-device'))?.name, 'bob');
    const alice = await attributesOf(server, 'thirdPartyId/r3-alice');
    assert.equal(alice?.name, 'alice');
    assert.equal(alice?.lastLogin, undefined, "nothing of bob's visit reaches alice");
    assert.equal(storeFacts().profiles, before, 'two identified people are never merged');
    assert.equal((await adminIds('thirdPartyId', 'r3-alice')).tntId, undefined, 'alice lost the shared device');
  });

  test('T belonging to person Y + an unknown X: X gets a profile of its own and T follows it', async () => {
    await visit({ tntId: 'r4-device', thirdPartyId: 'r4-alice' }, { name: 'alice' });
    await visit({ tntId: 'r4-device', thirdPartyId: 'r4-carol' }, { lastLogin: 'carol' });
    const carol = await attributesOf(server, 'thirdPartyId/r4-carol');
    assert.equal(carol?.name, undefined, "carol does not inherit alice's data");
    assert.equal(carol?.lastLogin, 'carol');
    assert.equal((await attributesOf(server, 'thirdPartyId/r4-alice'))?.name, 'alice');
    assert.deepEqual(await attributesOf(server, 'r4-device'), carol);
  });

  test('logout changes nothing: the device keeps leading to the person', async () => {
    await visit({ tntId: 'r5-device', thirdPartyId: 'r5-person' }, { plan: 'pro' });
    await visit({ tntId: 'r5-device' }, { afterLogout: 'yes' });
    const person = await attributesOf(server, 'thirdPartyId/r5-person');
    assert.equal(person?.plan, 'pro');
    assert.equal(person?.afterLogout, 'yes');
  });

  test('a thirdPartyId alone gets a tntId minted and linked to it', async () => {
    const first = await visit({ thirdPartyId: 'r6-person' }, { a: '1' });
    assert.match(first.id.tntId, /^[0-9a-f]{32}$/);
    assert.deepEqual(await attributesOf(server, first.id.tntId), await attributesOf(server, 'thirdPartyId/r6-person'));
  });

  test('ECID and authenticated customer ids link and merge like a tntId', async () => {
    await visit({ marketingCloudVisitorId: 'r7-ecid' }, { fromEcid: 'yes' });
    await visit({ thirdPartyId: 'r7-person' }, { fromCrm: 'yes' });
    await visit({
      marketingCloudVisitorId: 'r7-ecid',
      thirdPartyId: 'r7-person',
      customerIds: [
        { id: 'r7-c', integrationCode: 'crm', authenticatedState: 'authenticated' },
        { id: 'r7-ignored', integrationCode: 'crm', authenticatedState: 'unknown' },
      ],
    });
    const person = await attributesOf(server, 'thirdPartyId/r7-person');
    assert.equal(person?.fromEcid, 'yes');
    assert.equal(person?.fromCrm, 'yes');
    assert.deepEqual(await attributesOf(server, 'marketingCloudVisitorId/r7-ecid'), person);
    const ids = await adminIds('thirdPartyId', 'r7-person');
    assert.deepEqual(ids.customerId, ['crm:r7-c']);
  });

  test('replaying the login request (the SDK retries) changes nothing more', async () => {
    await visit({ tntId: 'r8-device' }, { a: '1' });
    await visit({ thirdPartyId: 'r8-person' }, { b: '2' });
    await visit({ tntId: 'r8-device', thirdPartyId: 'r8-person' });
    const once = storeFacts();
    const attributesOnce = await attributesOf(server, 'thirdPartyId/r8-person');
    await visit({ tntId: 'r8-device', thirdPartyId: 'r8-person' });
    assert.equal(storeFacts().profiles, once.profiles);
    const attributesTwice = await attributesOf(server, 'thirdPartyId/r8-person');
    assert.deepEqual(
      { ...attributesTwice, sessionCount: undefined, lastSessionStart: undefined },
      { ...attributesOnce, sessionCount: undefined, lastSessionStart: undefined },
    );
  });
});

describe('two tabs logging in at once', () => {
  test('many concurrent first logins with distinct anonymous tntIds end on one profile, nothing lost', async () => {
    const tabs = 24;
    for (let i = 0; i < tabs; i++) await visit({ tntId: `tab-${i}` }, { [`anon${i}`]: 'kept' });
    const before = storeFacts().profiles;

    const answers = await Promise.all(
      Array.from({ length: tabs }, (_, i) =>
        deliver(server, `client=demo&sessionId=tabs-${i}`, {
          context: { channel: 'web' },
          id: { tntId: `tab-${i}`, thirdPartyId: 'tabs-person' },
          execute: { pageLoad: { profileParameters: { [`login${i}`]: 'yes' } } },
        }),
      ),
    );
    assert.ok(answers.every((a) => a.status === 200));

    const facts = storeFacts();
    assert.equal(facts.profiles, before - tabs + 1, 'all anonymous profiles merged into one');
    const person = await attributesOf(server, 'thirdPartyId/tabs-person');
    for (let i = 0; i < tabs; i++) {
      assert.equal(person?.[`anon${i}`], 'kept', `anon${i} survived`);
      assert.equal(person?.[`login${i}`], 'yes', `login${i} survived`);
      assert.equal(facts.idsOf('tntId', `tab-${i}`), facts.idsOf('thirdPartyId', 'tabs-person'));
    }
  });

  test('concurrent first logins with no tntId at all create exactly one profile', async () => {
    const before = storeFacts().profiles;
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        deliver(server, `client=demo&sessionId=fresh-${i}`, {
          context: { channel: 'web' },
          id: { thirdPartyId: 'fresh-person' },
          execute: { pageLoad: { profileParameters: { [`tab${i}`]: 'yes' } } },
        }),
      ),
    );
    assert.ok(answers.every((a) => a.status === 200));
    assert.equal(storeFacts().profiles, before + 1);
    const person = await attributesOf(server, 'thirdPartyId/fresh-person');
    assert.equal(Object.keys(person ?? {}).filter((name) => name.startsWith('tab')).length, 24);
    assert.equal(new Set(answers.map((a) => a.body.id.tntId)).size, 24, 'each tab got its own device id');
  });
});
