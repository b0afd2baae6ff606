import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { ManualClock } from '../src/domain/clock.js';
import { DATABASE_FILE } from '../src/store/sqlite/database.js';
import { batchIdOf, curlBatch, batchFile, failureReport, waitForBatch } from './support/batch.js';
import { deliver } from './support/delivery.js';
import { runCli } from './support/process.js';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';

/**
 * Privacy (CONTRACT §10): a person known by a tntId, a thirdPartyId, an ECID and a customer id,
 * with session state from delivery calls and failed rows in batch reports, is exported and then
 * erased — and afterwards not one byte of them is left in the database files.
 */
const clock = new ManualClock(Date.UTC(2026, 5, 1, 8));
let server: TestServer;

const PERSON = {
  tntId: 'tnt4privacy9c1e5a',
  thirdPartyId: 'crm-privacy-77410',
  ecid: '90817263544638291043725510293847561029',
  customerId: 'loyalty-privacy-5521',
  sessionId: 'sess-privacy-31f4',
  secret: 'zeta-secret-value-8812',
  secretName: 'favouriteSecretColour',
};
const BYSTANDER = { tntId: 'tnt4bystander77', value: 'bystander-keeps-this-value' };

before(async () => {
  server = await startTestServer({ clock });
});
after(() => server.dispose());

async function seedPerson(person = PERSON): Promise<void> {
  const visit = await deliver(server, `client=demo&sessionId=${person.sessionId}`, {
    context: { channel: 'web' },
    id: {
      tntId: person.tntId,
      thirdPartyId: person.thirdPartyId,
      marketingCloudVisitorId: person.ecid,
      customerIds: [{ id: person.customerId, integrationCode: 'loyalty', authenticatedState: 'authenticated' }],
    },
    execute: { pageLoad: { profileParameters: { [person.secretName]: person.secret } } },
  });
  assert.equal(visit.status, 200, JSON.stringify(visit.body));
  // Two failed bulk rows carry the person's keys: an undecodable value, and a location-hinted tntId
  // with a value over the limit.
  const body = `batch=pcId,note\n${person.tntId},%zz\n${person.tntId}.28_20,${'x'.repeat(5001)}\n${BYSTANDER.tntId},fine\n`;
  const submitted = await curlBatch(server, '/m2/demo/v2/profile/batchUpdate', batchFile(body));
  assert.equal(submitted.status, 200, submitted.body);
  await waitForBatch(server, 'demo', batchIdOf(submitted.body));
  const third = await curlBatch(server, '/m2/demo/profile/batchUpdate', batchFile(`batch=thirdPartyId,note\n${person.thirdPartyId},%E0\n`));
  await waitForBatch(server, 'demo', batchIdOf(third.body));
}

async function privacyCall(action: 'export' | 'delete', person: Record<string, string>) {
  const response = await admin(server, 'POST', `/admin/v1/clients/demo/privacy/${action}`, person);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Every row of every table, as text, and the raw bytes of the database and its WAL. */
function databaseTraces(): { rows: string; files: Buffer } {
  const file = path.join(server.dataDir, DATABASE_FILE);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    const rows = tables.map((table) => `${table}: ${JSON.stringify(db.prepare(`SELECT * FROM "${table}"`).all(), (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v))}`);
    const files = [file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f));
    return { rows: rows.join('\n'), files: Buffer.concat(files) };
  } finally {
    db.close();
  }
}

const personStrings = (person = PERSON) => [person.tntId, person.thirdPartyId, person.ecid, person.customerId, person.sessionId, person.secret];

test('export answers the fetch shape with every id and the failed batch rows carrying the person', async () => {
  await seedPerson();
  await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: BYSTANDER.tntId, attributes: { kept: BYSTANDER.value } });

  const exported = await privacyCall('export', { marketingCloudVisitorId: PERSON.ecid });
  assert.equal(exported.status, 200, JSON.stringify(exported.body));
  assert.equal(exported.body.client, 'demo');
  assert.equal(exported.body.visitorId, PERSON.ecid);
  const attributes = exported.body.profileAttributes as Record<string, { value: string }>;
  assert.equal(attributes[PERSON.secretName]!.value, PERSON.secret);
  assert.equal(attributes.sessionCount!.value, '1');
  assert.deepEqual(exported.body.ids, {
    customerId: [`loyalty:${PERSON.customerId}`],
    marketingCloudVisitorId: [PERSON.ecid],
    thirdPartyId: [PERSON.thirdPartyId],
    tntId: [PERSON.tntId],
  });
  const failures = exported.body.batchFailures as Array<{ key: string; line: number; reason: string }>;
  assert.deepEqual(failures.map((f) => [f.key, f.line]).sort(), [
    [PERSON.thirdPartyId, 2],
    [PERSON.tntId, 2],
    [`${PERSON.tntId}.28_20`, 3],
  ]);
  assert.ok(databaseTraces().rows.includes(PERSON.secret), 'the scan sees the person before the deletion');
});

test('delete by thirdPartyId erases the profile, every id, session state and failed batch rows, and says so', async () => {
  const deleted = await privacyCall('delete', { thirdPartyId: PERSON.thirdPartyId });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  assert.deepEqual(deleted.body, {
    deleted: true,
    client: 'demo',
    profile: {
      ids: {
        customerId: [`loyalty:${PERSON.customerId}`],
        marketingCloudVisitorId: [PERSON.ecid],
        thirdPartyId: [PERSON.thirdPartyId],
        tntId: [PERSON.tntId],
      },
      attributeCount: 4,
    },
    batchFailureRows: 3,
    batchBodiesRemoved: [],
    pendingBatches: [],
    storageScrubbed: true,
  });

  for (const urlPath of [`/rest/v1/profiles/${PERSON.tntId}`, `/rest/v1/profiles/thirdPartyId/${PERSON.thirdPartyId}`, `/rest/v1/profiles/marketingCloudVisitorId/${PERSON.ecid}`]) {
    assert.equal((await server.fetch(`${urlPath}?client=demo`, { headers: bearer(server.demoToken) })).status, 404, urlPath);
  }
  assert.deepEqual(await privacyCall('export', { tntId: PERSON.tntId }), {
    status: 404,
    body: { status: 404, message: `Nothing is stored for client demo with mboxPC=${PERSON.tntId}` },
  });
  assert.equal((await privacyCall('delete', { marketingCloudVisitorId: PERSON.ecid })).status, 404, 'a second deletion finds nothing');

  const { rows, files } = databaseTraces();
  for (const text of personStrings()) {
    assert.ok(!rows.includes(text), `no table row holds '${text}'`);
    assert.equal(files.indexOf(Buffer.from(text)), -1, `no byte of the database files holds '${text}'`);
  }
  assert.ok(rows.includes(BYSTANDER.value), 'the other visitor is untouched');
  // The batch reports still count the rows, without the person's keys.
  const batchIds = JSON.parse(rows.split('\n').find((line) => line.startsWith('batches:'))!.slice('batches: '.length)) as Array<{ batch_id: string }>;
  for (const { batch_id } of batchIds) {
    for (const failure of await failureReport(server, 'demo', batch_id)) assert.ok(!failure.key.startsWith(PERSON.tntId));
  }
});

test('a stuck batch body holding a row of the person is removed; unfinished batches are reported', async () => {
  const person = { ...PERSON, tntId: 'tnt4stuckbody21', thirdPartyId: 'crm-stuck-1', ecid: 'ecid-stuck-1', customerId: 'cust-stuck-1', sessionId: 'sess-stuck-1', secret: 'secret-stuck-1' };
  await seedPerson(person);
  await server.app.batchProcessor.stop();
  const { batches } = server.app.stores;
  const files = path.join(server.dataDir, 'batches');
  fs.mkdirSync(files, { recursive: true });
  const make = async (batchId: string, body: string) => {
    fs.writeFileSync(path.join(files, `${batchId}.batch`), body);
    await batches.create({ batchId, client: 'demo', apiVersion: 2, keyColumn: 'pcId', attributes: ['a'], bodyFile: `${batchId}.batch`, bodyBytes: body.length, batchSize: 1, firstOffset: 15, firstLine: 2, submittedAt: clock.now() });
  };
  await make('demo-1780000000000-00000001', `batch=pcId,a\r\n${person.tntId},x\n`);
  await batches.markStuck('demo-1780000000000-00000001', 'test', clock.now());
  await make('demo-1780000000000-00000002', `batch=pcId,a\r\nsomeone-else,x\n`);
  await batches.markStuck('demo-1780000000000-00000002', 'test', clock.now());
  await make('demo-1780000000000-00000003', `batch=pcId,a\r\nsomeone-else,x\n`);

  const deleted = await privacyCall('delete', { tntId: person.tntId });
  assert.equal(deleted.status, 200);
  assert.deepEqual(deleted.body.batchBodiesRemoved, ['demo-1780000000000-00000001']);
  assert.deepEqual(deleted.body.pendingBatches, ['demo-1780000000000-00000003']);
  assert.ok(!fs.existsSync(path.join(files, 'demo-1780000000000-00000001.batch')));
  assert.ok(fs.existsSync(path.join(files, 'demo-1780000000000-00000002.batch')), "another person's stuck body stays");
});

test('the CLI exports and deletes a person; invalid privacy requests are refused', async () => {
  const person = { ...PERSON, tntId: 'tnt4cliperson11', thirdPartyId: 'crm-cli-1', ecid: 'ecid-cli-1', customerId: 'cust-cli-1', sessionId: 'sess-cli-1', secret: 'secret-cli-1' };
  await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: person.tntId, thirdPartyId: person.thirdPartyId, attributes: { s: person.secret } });
  const cli = (...args: string[]) => runCli(['--url', server.url, '--admin-key', server.adminKey, 'privacy', ...args]);
  const exported = await cli('export', '-c', 'demo', '--third-party-id', person.thirdPartyId);
  assert.equal(exported.code, 0, exported.stderr);
  assert.equal(JSON.parse(exported.stdout).profileAttributes.s.value, person.secret);
  const deleted = await cli('delete', '-c', 'demo', '--tnt-id', person.tntId);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.deepEqual(JSON.parse(deleted.stdout).profile.ids, { thirdPartyId: [person.thirdPartyId], tntId: [person.tntId] });
  const again = await cli('delete', '-c', 'demo', '--tnt-id', person.tntId);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /404: Nothing is stored for client demo with mboxPC=tnt4cliperson11/);
  assert.equal((await cli('delete', '-c', 'demo')).code, 1, 'no id named');

  for (const [body, message] of [
    [{}, 'name the person with exactly one of tntId, thirdPartyId, marketingCloudVisitorId'],
    [{ tntId: 'a', thirdPartyId: 'b' }, 'name the person with exactly one of tntId, thirdPartyId, marketingCloudVisitorId'],
    [{ email: 'a@b' }, "unknown field 'email' (name the person with one of tntId, thirdPartyId, marketingCloudVisitorId)"],
    [{ tntId: 7 }, 'tntId must be a string'],
    [{ tntId: 'null' }, "tntId 'null' is not a usable visitor id"],
    [[1], 'privacy request body must be a JSON object naming tntId, thirdPartyId or marketingCloudVisitorId'],
  ] as const) {
    assert.deepEqual(await privacyCall('delete', body as Record<string, string>), { status: 400, body: { status: 400, message } }, JSON.stringify(body));
  }
  const noKey = await server.fetch('/admin/v1/clients/demo/privacy/delete', { method: 'POST', headers: { ...bearer(server.demoToken), 'content-type': 'application/json' }, body: '{"tntId":"x"}' });
  assert.equal(noKey.status, 403, 'a profile token is not the admin key');
});
