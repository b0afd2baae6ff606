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
 * Privacy (CONTRACT §10): a person known by a tntId, a thirdPartyId, an ECID and a customer id,
 * with session state from delivery calls and failed rows in batch reports, is exported and then
 * erased — and afterwards not one byte of them is left in the database files. Runs on SQLite, and
 * on PostgreSQL from test/postgres-http.test.ts (there the rows are scanned, not the files).
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
  // Bodies stored where this server keeps them: files of the data directory, or PostgreSQL's batch_bodies.
  const { batches, batchBodies } = server.app.stores;
  const bodies = batchBodies ?? new BatchFiles(server.dataDir);
  const make = async (batchId: string, body: string, stuck: boolean, client = 'demo') => {
    const writer = await bodies.create(batchId);
    await writer.write(Buffer.from(body));
    await writer.commit();
    await batches.create({
      batchId,
      client,
      apiVersion: 2,
      keyColumn: 'pcId',
      attributes: ['a'],
      bodyFile: writer.file,
      bodyBytes: writer.bytes,
      batchSize: 1,
      firstOffset: 14,
      firstLine: 2,
      submittedAt: clock.now(),
    });
    if (stuck)
      await batches.markStuck(batchId, 'the batch could not be applied after repeated internal errors (see the server log)', clock.now());
  };
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
