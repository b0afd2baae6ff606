import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { ManualClock } from '../src/domain/clock.js';
import { BatchFiles } from '../src/features/batches/batch-files.js';
import { BODY_PIECE_BYTES } from '../src/store/postgres/pg-batch-bodies.js';
import { DATABASE_FILE } from '../src/store/sqlite/database.js';
import { batchIdOf, curlBatch, batchFile, failureReport, waitForBatch } from './support/batch.js';
import { deliver } from './support/delivery.js';
import { runCli } from './support/process.js';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';

/**
 * Privacy (docs/wire-contract.md#10-privacy): a person known by a tntId, a thirdPartyId, an ECID
 * and a customer id, with session state from delivery calls and failed rows in batch reports, is
 * exported and then erased — and afterwards not one byte of them is left in the database files.
 * Runs on SQLite, and on PostgreSQL from test/postgres-http.test.ts (there the rows are scanned,
 * not the files).
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
  // Two failed bulk rows carry the person's keys: a value that is not UTF-8 once decoded, and a location-hinted tntId
  // with a value over the limit.
  const body = `batch=pcId,note\n${person.tntId},%FF\n${person.tntId}.28_20,${'x'.repeat(5001)}\n${BYSTANDER.tntId},fine\n`;
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

/** Every row of every table as text (bytes as latin1), one line per table: `<table>: <JSON rows>`. */
function tableLines(tables: Array<{ table: string; rows: Array<Record<string, unknown>> }>): string {
  const text = (value: unknown) => (Buffer.isBuffer(value) ? value.toString('latin1') : value);
  return tables
    .map(
      ({ table, rows }) =>
        `${table}: ${JSON.stringify(rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, text(v)]))))}`,
    )
    .join('\n');
}

/** The server's PostgreSQL database, when it runs on one. */
async function withPostgres<T>(use: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: server.app.config.databaseUrl });
  await db.connect();
  try {
    return await use(db);
  } finally {
    await db.end();
  }
}

/**
 * Every row of every table, as text, and the raw bytes of the SQLite database and its WAL. On
 * PostgreSQL only the rows: its own files keep dead rows until (auto)vacuum (docs/security.md).
 */
async function databaseTraces(): Promise<{ rows: string; files: Buffer }> {
  if (server.app.config.databaseUrl) {
    return withPostgres(async (db) => {
      const names = await db.query<{ name: string }>(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
      );
      const tables = [];
      for (const { name } of names.rows) tables.push({ table: name, rows: (await db.query(`SELECT * FROM "${name}"`)).rows });
      return { rows: tableLines(tables), files: Buffer.alloc(0) };
    });
  }
  const file = path.join(server.dataDir, DATABASE_FILE);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    const rows = tableLines(
      tables.map((table) => ({ table, rows: db.prepare(`SELECT * FROM "${table}"`).all() as Array<Record<string, unknown>> })),
    );
    const files = [file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f));
    return { rows, files: Buffer.concat(files) };
  } finally {
    db.close();
  }
}

/** Where the server keeps a batch's body: its file (SQLite), or its rows in `batch_bodies` (PostgreSQL). */
async function storedBody(batchId: string): Promise<{ pieces: number; bytes: number }> {
  if (server.app.config.databaseUrl) {
    return withPostgres(async (db) => {
      const { rows } = await db.query<{ pieces: string; bytes: string }>(
        'SELECT count(*) AS pieces, coalesce(sum(octet_length(data)), 0) AS bytes FROM batch_bodies WHERE batch_id = $1',
        [batchId],
      );
      return { pieces: Number(rows[0]!.pieces), bytes: Number(rows[0]!.bytes) };
    });
  }
  const file = path.join(server.dataDir, 'batches', `${batchId}.batch`);
  return fs.existsSync(file) ? { pieces: 1, bytes: fs.statSync(file).size } : { pieces: 0, bytes: 0 };
}

/**
 * A body of more than one stored piece (PostgreSQL stores 1 MB pieces; files are read 1 MB at a
 * time) whose row for `key` starts 5 bytes before the end of the first piece.
 */
function bodyWithRowAcrossPieces(key: string): string {
  const filler = 'filler-row,x\n';
  let body = 'batch=pcId,a\r\n';
  body += filler.repeat(Math.floor((BODY_PIECE_BYTES - body.length) / filler.length) - 2);
  body += `padding,${'y'.repeat(BODY_PIECE_BYTES - 14 - body.length)}\n`;
  body += `${key},x\nfiller-row,x\n`;
  assert.equal(body.indexOf(`\n${key},`), BODY_PIECE_BYTES - 6);
  return body;
}

/**
 * Stores a batch with its body where this server keeps bodies (files of the data directory, or
 * PostgreSQL's batch_bodies), as the intake would, and marks it stuck: the processor must be stopped.
 */
async function storeBatch(
  batchId: string,
  body: string,
  options: { stuck: boolean; client?: string; keyColumn: 'pcId' | 'thirdPartyId' },
): Promise<void> {
  const { batches, batchBodies } = server.app.stores;
  const bodies = batchBodies ?? new BatchFiles(server.dataDir);
  const writer = await bodies.create(batchId);
  await writer.write(Buffer.from(body));
  await writer.commit();
  await batches.create({
    batchId,
    client: options.client ?? 'demo',
    apiVersion: 2,
    keyColumn: options.keyColumn,
    attributes: ['a'],
    bodyFile: writer.file,
    bodyBytes: writer.bytes,
    batchSize: 1,
    firstOffset: body.indexOf('\n') + 1,
    firstLine: 2,
    submittedAt: clock.now(),
  });
  if (options.stuck) {
    await batches.markStuck(batchId, 'the batch could not be applied after repeated internal errors (see the server log)', clock.now());
  }
}

const personStrings = (person = PERSON) => [
  person.tntId,
  person.thirdPartyId,
  person.ecid,
  person.customerId,
  person.sessionId,
  person.secret,
];

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
  assert.ok((await databaseTraces()).rows.includes(PERSON.secret), 'the scan sees the person before the deletion');
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

  for (const urlPath of [
    `/rest/v1/profiles/${PERSON.tntId}`,
    `/rest/v1/profiles/thirdPartyId/${PERSON.thirdPartyId}`,
    `/rest/v1/profiles/marketingCloudVisitorId/${PERSON.ecid}`,
  ]) {
    assert.equal((await server.fetch(`${urlPath}?client=demo`, { headers: bearer(server.demoToken) })).status, 404, urlPath);
  }
  assert.deepEqual(await privacyCall('export', { tntId: PERSON.tntId }), {
    status: 404,
    body: { status: 404, message: `Nothing is stored for client demo with mboxPC=${PERSON.tntId}` },
  });
  assert.equal((await privacyCall('delete', { marketingCloudVisitorId: PERSON.ecid })).status, 404, 'a second deletion finds nothing');

  const { rows, files } = await databaseTraces();
  for (const text of personStrings()) {
    assert.ok(!rows.includes(text), `no table row holds '${text}'`);
    assert.equal(files.indexOf(Buffer.from(text)), -1, `no byte of the database files holds '${text}'`);
  }
  assert.ok(rows.includes(BYSTANDER.value), 'the other visitor is untouched');
  // The batch reports still count the rows, without the person's keys.
  const batchIds = JSON.parse(
    rows
      .split('\n')
      .find((line) => line.startsWith('batches:'))!
      .slice('batches: '.length),
  ) as Array<{ batch_id: string }>;
  for (const { batch_id } of batchIds) {
    for (const failure of await failureReport(server, 'demo', batch_id)) assert.ok(!failure.key.startsWith(PERSON.tntId));
  }
});

test('failed rows count for the person only when keyed by one of its ids of the batch key kind: location hints on tntIds, percent-encoded keys decoded', async () => {
  const person = { tntId: 'tnt4exactrows5k2', thirdPartyId: 'crm-exact-9', secret: 'secret-exact-4471' };
  await admin(server, 'POST', '/admin/v1/clients/demo/profiles', {
    tntId: person.tntId,
    thirdPartyId: person.thirdPartyId,
    attributes: { s: person.secret },
  });
  // Every row fails; an undecodable cell carries a marker, which the row's reason quotes. A row that
  // is not UTF-8 (the 0xFF byte) is reported with its key as sent, still percent-encoded.
  const notUtf8 = Buffer.from([0xff]).toString('latin1');
  const body = (text: string) => Buffer.from(text, 'latin1');
  const thirdPartyBatch = body(
    'batch=thirdPartyId,note\n' +
      `${person.thirdPartyId},%E0mine-by-3p\n` + // 2: the person's thirdPartyId
      `${person.thirdPartyId}.something,%E0other-dotted-3p\n` + // 3: another person: a thirdPartyId has no location hint
      `${person.tntId},%E0other-3p-named-like-the-tntId\n` + // 4: a thirdPartyId of the value of the person's tntId
      `crm%2Dexact%2D9,${notUtf8}\n`, // 5: the person's thirdPartyId, percent-encoded
  );
  const pcIdBatch = body(
    'batch=pcId,note\n' +
      `${person.tntId}.28_20,%E0mine-by-hinted-tntId\n` + // 2: the person's tntId with a location hint
      `${person.thirdPartyId},%E0other-tntId-named-like-the-3p\n` + // 3: a tntId of the value of the person's thirdPartyId
      `${person.tntId}.something,x\n` + // 4: not a location hint: no tntId at all
      `tnt4exactrows5k2%2E28_20,${notUtf8}\n`, // 5: the person's hinted tntId, percent-encoded
  );
  const batchIds: string[] = [];
  for (const content of [thirdPartyBatch, pcIdBatch]) {
    const submitted = await curlBatch(server, '/m2/demo/profile/batchUpdate', batchFile(content));
    assert.equal(submitted.status, 200, submitted.body);
    batchIds.push(batchIdOf(submitted.body));
    await waitForBatch(server, 'demo', batchIds.at(-1)!);
  }
  const [thirdPartyBatchId, pcIdBatchId] = batchIds as [string, string];
  const mine = [
    [thirdPartyBatchId, 2, person.thirdPartyId],
    [thirdPartyBatchId, 5, 'crm%2Dexact%2D9'],
    [pcIdBatchId, 2, `${person.tntId}.28_20`],
    [pcIdBatchId, 5, 'tnt4exactrows5k2%2E28_20'],
  ];
  const others = [
    [thirdPartyBatchId, 3, `${person.thirdPartyId}.something`],
    [thirdPartyBatchId, 4, person.tntId],
    [pcIdBatchId, 3, person.thirdPartyId],
    [pcIdBatchId, 4, `${person.tntId}.something`],
  ];
  const sorted = (rows: unknown[][]) => [...rows].sort();
  const reported = async () =>
    (
      await Promise.all(
        batchIds.map(async (batchId) => (await failureReport(server, 'demo', batchId)).map((f) => [batchId, f.line, f.key])),
      )
    )
      .flat()
      .sort();
  assert.deepEqual(await reported(), sorted([...mine, ...others]), 'every row failed');

  for (const named of [{ tntId: person.tntId }, { thirdPartyId: person.thirdPartyId }] as Array<Record<string, string>>) {
    const exported = await privacyCall('export', named);
    assert.equal(exported.status, 200, JSON.stringify(exported.body));
    const failures = exported.body.batchFailures as Array<{ batchId: string; key: string; line: number }>;
    assert.deepEqual(sorted(failures.map((f) => [f.batchId, f.line, f.key])), sorted(mine), `export by ${JSON.stringify(named)}`);
  }
  // The other rows are the traces of the people their keys name.
  for (const [named, row] of [
    [{ thirdPartyId: `${person.thirdPartyId}.something` }, others[0]],
    [{ thirdPartyId: person.tntId }, others[1]],
    [{ tntId: person.thirdPartyId }, others[2]],
  ] as Array<[Record<string, string>, unknown[]]>) {
    const exported = await privacyCall('export', named);
    const failures = exported.body.batchFailures as Array<{ batchId: string; key: string; line: number }>;
    assert.deepEqual(
      failures.map((f) => [f.batchId, f.line, f.key]),
      [row],
      `export by ${JSON.stringify(named)}`,
    );
  }

  const deleted = await privacyCall('delete', { thirdPartyId: person.thirdPartyId });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  assert.equal(deleted.body.batchFailureRows, mine.length);
  assert.deepEqual(await reported(), sorted(others), "the other people's rows stay in the reports");

  const { rows, files } = await databaseTraces();
  for (const text of ['mine-by-3p', 'crm%2Dexact%2D9', 'mine-by-hinted-tntId', 'tnt4exactrows5k2%2E28_20', person.secret]) {
    assert.ok(!rows.includes(text), `no table row holds '${text}'`);
    assert.equal(files.indexOf(Buffer.from(text)), -1, `no byte of the database files holds '${text}'`);
  }
  for (const text of ['other-dotted-3p', 'other-3p-named-like-the-tntId', 'other-tntId-named-like-the-3p', `${person.tntId}.something`]) {
    assert.ok(rows.includes(text), `the row of someone else holding '${text}' stays`);
  }
});

test('a stuck batch body holding a row of the person is removed; unfinished batches are reported', async () => {
  const person = {
    ...PERSON,
    tntId: 'tnt4stuckbody21',
    thirdPartyId: 'crm-stuck-1',
    ecid: 'ecid-stuck-1',
    customerId: 'cust-stuck-1',
    sessionId: 'sess-stuck-1',
    secret: 'secret-stuck-1',
  };
  await seedPerson(person);
  await server.app.batchProcessor.stop();
  const { batches } = server.app.stores;
  const make = (batchId: string, body: string, stuck: boolean, client = 'demo') =>
    storeBatch(batchId, body, { stuck, client, keyColumn: 'pcId' });
  const someoneElse = 'batch=pcId,a\r\nsomeone-else,x\n';
  const personRow = `batch=pcId,a\r\n${person.tntId},x\n`;
  await make('demo-1780000000000-00000001', bodyWithRowAcrossPieces(person.tntId), true);
  await make('demo-1780000000000-00000002', someoneElse, true);
  await make('demo-1780000000000-00000003', personRow, false);
  await make('other-1780000000000-00000004', personRow, true, 'other');
  assert.ok((await storedBody('demo-1780000000000-00000001')).pieces > 0, 'the body is stored before the erasure');

  const deleted = await privacyCall('delete', { tntId: person.tntId });
  assert.equal(deleted.status, 200);
  assert.deepEqual(deleted.body.batchBodiesRemoved, ['demo-1780000000000-00000001']);
  assert.deepEqual(deleted.body.pendingBatches, ['demo-1780000000000-00000003']);
  assert.deepEqual(await storedBody('demo-1780000000000-00000001'), { pieces: 0, bytes: 0 }, 'no piece of the removed body remains');
  assert.equal((await storedBody('demo-1780000000000-00000002')).bytes, someoneElse.length, "another person's stuck body stays");
  assert.equal((await storedBody('demo-1780000000000-00000003')).bytes, personRow.length, 'an unfinished body is left to its batch');
  assert.equal((await storedBody('other-1780000000000-00000004')).bytes, personRow.length, "another client's body is not looked at");
  // The stuck batch's report is unchanged: the body was kept for inspection, not for the report.
  const report = await batches.get('demo', 'demo-1780000000000-00000001');
  assert.equal(report?.status, 'stuck');

  const again = await privacyCall('delete', { tntId: person.tntId });
  assert.equal(again.status, 404, 'nothing of the person is left');
});

test('a stuck body counts when a row is keyed by one of the person ids of the batch key kind, compared percent-decoded', async () => {
  const person = { tntId: 'tnt4stuckexact3', thirdPartyId: 'crm-stuck-exact-2' };
  await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { ...person, attributes: { s: 'stuck-exact-secret' } });
  // The processor was stopped by the previous test: these batches stay as stored.
  const bodies: Array<[batchId: string, keyColumn: 'pcId' | 'thirdPartyId', body: string, removed: boolean]> = [
    ['demo-1780000000000-00000011', 'thirdPartyId', 'batch=thirdPartyId,a\r\nsomeone,x\ncrm%2Dstuck%2Dexact%2D2,x\n', true],
    ['demo-1780000000000-00000012', 'thirdPartyId', 'batch=thirdPartyId,a\r\ncrm-stuck-exact-2.something,x\n', false],
    ['demo-1780000000000-00000013', 'thirdPartyId', 'batch=thirdPartyId,a\r\ntnt4stuckexact3,x\n', false],
    ['demo-1780000000000-00000014', 'pcId', 'batch=pcId,a\r\ncrm-stuck-exact-2,x\n', false],
    ['demo-1780000000000-00000015', 'pcId', 'batch=pcId,a\r\ntnt4stuckexact3.something,x\n', false],
    ['demo-1780000000000-00000016', 'pcId', 'batch=pcId,a\r\nsomeone,x\ntnt4stuck%65xact3%2E28_20,x\n', true],
  ];
  for (const [batchId, keyColumn, body] of bodies) await storeBatch(batchId, body, { stuck: true, keyColumn });

  const deleted = await privacyCall('delete', { tntId: person.tntId });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  assert.deepEqual(
    deleted.body.batchBodiesRemoved,
    bodies.filter(([, , , removed]) => removed).map(([batchId]) => batchId),
  );
  for (const [batchId, keyColumn, body, removed] of bodies) {
    assert.equal((await storedBody(batchId)).bytes, removed ? 0 : body.length, `${keyColumn} body ${JSON.stringify(body)}`);
  }
});

test('a login merge skipped over 64 KB leaves the device id on its data: export finds it, and erasing the person and the device leaves no byte of either', async () => {
  const device = { tntId: 'tnt4orphan8d2', ecid: 'ecid-orphan-6631', secret: 'orphan-device-secret-2290' };
  const person = { thirdPartyId: 'crm-orphan-4417', secret: 'orphan-person-secret-7713' };
  // 40 KB each: together over the 64 KB limit, so the login cannot merge them.
  const filler = (prefix: string) => Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`${prefix}${i}`, 'f'.repeat(5000)]));
  for (const body of [
    { tntId: device.tntId, marketingCloudVisitorId: device.ecid, attributes: { ...filler('d'), deviceSecret: device.secret } },
    { thirdPartyId: person.thirdPartyId, attributes: { ...filler('p'), personSecret: person.secret } },
  ]) {
    const created = await admin(server, 'POST', '/admin/v1/clients/demo/profiles', body);
    assert.equal(created.status, 201, await created.text());
  }
  const login = await deliver(server, 'client=demo&sessionId=sess-orphan-1', {
    context: { channel: 'web' },
    id: { tntId: device.tntId, thirdPartyId: person.thirdPartyId },
  });
  assert.equal(login.status, 200, JSON.stringify(login.body));

  const exported = await privacyCall('export', { tntId: device.tntId });
  assert.equal(exported.status, 200, JSON.stringify(exported.body));
  const attributes = exported.body.profileAttributes as Record<string, { value: string }>;
  assert.equal(attributes.deviceSecret?.value, device.secret, 'the tntId leads to the data it was set with');
  assert.deepEqual(exported.body.ids, { marketingCloudVisitorId: [device.ecid], tntId: [device.tntId] });

  assert.equal((await privacyCall('delete', { thirdPartyId: person.thirdPartyId })).status, 200);
  assert.equal((await privacyCall('delete', { tntId: device.tntId })).status, 200);
  const { rows, files } = await databaseTraces();
  for (const text of [device.tntId, device.ecid, device.secret, person.thirdPartyId, person.secret]) {
    assert.ok(!rows.includes(text), `no table row holds '${text}'`);
    assert.equal(files.indexOf(Buffer.from(text)), -1, `no byte of the database files holds '${text}'`);
  }
});

test('the CLI exports and deletes a person; invalid privacy requests are refused', async () => {
  const person = {
    ...PERSON,
    tntId: 'tnt4cliperson11',
    thirdPartyId: 'crm-cli-1',
    ecid: 'ecid-cli-1',
    customerId: 'cust-cli-1',
    sessionId: 'sess-cli-1',
    secret: 'secret-cli-1',
  };
  await admin(server, 'POST', '/admin/v1/clients/demo/profiles', {
    tntId: person.tntId,
    thirdPartyId: person.thirdPartyId,
    attributes: { s: person.secret },
  });
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
    assert.deepEqual(
      await privacyCall('delete', body as Record<string, string>),
      { status: 400, body: { status: 400, message } },
      JSON.stringify(body),
    );
  }
  const noKey = await server.fetch('/admin/v1/clients/demo/privacy/delete', {
    method: 'POST',
    headers: { ...bearer(server.demoToken), 'content-type': 'application/json' },
    body: '{"tntId":"x"}',
  });
  assert.equal(noKey.status, 403, 'a profile token is not the admin key');
});
