import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildRequest, rawRequest, type RawResponse } from './support/raw-http.js';
import { admin, startTestServer, type TestServer } from './support/server.js';
import { inspectStore, type StoreInspector } from './support/store-inspector.js';

/**
 * The hostile-input corpus (test/hostile/*.json, format in test/hostile/README.md): every case is
 * sent byte for byte on its own socket, and must get its documented status and error body, no
 * 5xx, nothing internal in the answer, no change in the database when it is refused, and a
 * healthy server afterwards. HOSTILE_RECORD=1 writes the answers seen into the files (for review).
 */
const CORPUS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hostile');
const RECORD = process.env.HOSTILE_RECORD === '1';

interface Expectation {
  status: number;
  /** Exact JSON body. */
  json?: unknown;
  /** Exact text body (m2 XML). */
  text?: string;
  /** Substrings the body must hold. */
  contains?: string[];
  /** Response headers: a value to equal, or null for a header that must be absent. */
  headers?: Record<string, string | null>;
}

interface Step {
  method: string;
  path: string;
  /** demo | acme | admin: adds that Authorization header. */
  auth?: 'demo' | 'acme' | 'admin';
  /** A null value leaves the header out (Host included). */
  headers?: Record<string, string | null>;
  body?: string;
  bodyBase64?: string;
  expect: Expectation;
}

interface HostileCase extends Step {
  name: string;
  /** A change to the database is allowed (legal data); default: only when the status is 2xx. */
  mutates?: boolean;
  /** Follow-up requests, e.g. reading back a value that must come back escaped. */
  then?: Step[];
}

// Stack frames, file paths, SQL: none of it may reach a client (docs/wire-contract.md#11-error-bodies).
const LEAKS: Array<[string, RegExp]> = [
  ['a stack frame', /\bat [\w$.<>[\] ]+ \(|^\s+at /m],
  ['an internal path', /\/work\/|node_modules|\/src\/|\.ts:\d|\.js:\d/],
  ['SQL', /\b(SELECT\s.+\sFROM|INSERT INTO|DELETE FROM|UPDATE \w+ SET|SQLITE_|sqlite3?\b|syntax error at or near)/i],
  ['an internal error name', /\b(TypeError|RangeError|ReferenceError|FST_ERR_\w+|ERR_\w+)\b/],
];

let server: TestServer;
let port: number;
let acmeToken: string;
let store: StoreInspector;
/** The batch id of the last accepted upload, for `{{lastBatchId}}` in follow-up steps. */
let lastBatchId = '';

function expand(text: string): string {
  return text
    .replace(/\{\{repeat:(\d+):(.*?)\}\}/g, (_m, times: string, unit: string) => unit.repeat(Number(times)))
    .replace(/\{\{demoToken\}\}/g, server.demoToken)
    .replace(/\{\{acmeToken\}\}/g, acmeToken)
    .replace(/\{\{adminKey\}\}/g, server.adminKey)
    .replace(/\{\{lastBatchId\}\}/g, lastBatchId);
}

async function send(step: Step): Promise<RawResponse> {
  const headers: Array<[string, string | null]> = [];
  const token = { demo: server.demoToken, acme: acmeToken, admin: server.adminKey };
  if (step.auth) headers.push(['Authorization', `Bearer ${token[step.auth]}`]);
  for (const [name, value] of Object.entries(step.headers ?? {})) headers.push([name, value === null ? null : expand(value)]);
  let body: Buffer | null = null;
  if (step.bodyBase64 !== undefined) body = Buffer.from(step.bodyBase64, 'base64');
  else if (step.body !== undefined) body = Buffer.from(expand(step.body), 'utf8');
  const response = await rawRequest(port, buildRequest(step.method, expand(step.path), headers, body));
  lastBatchId = /batchId=([^<&\s]+)/.exec(response.body)?.[1] ?? lastBatchId;
  return response;
}

/** Every row of every table plus the stored batch files: what "no change in the store" compares. */
async function snapshot(): Promise<string> {
  const batchDir = path.join(server.dataDir, 'batches');
  // `.upload` files are uploads in flight: one whose connection broke is removed when the server
  // notices, which may be just after it has answered the client.
  const files = fs.existsSync(batchDir)
    ? fs
        .readdirSync(batchDir)
        .filter((f) => !f.endsWith('.upload'))
        .sort()
    : [];
  return `${await store.snapshot()}\nfiles=${files.join(',')}`;
}

/** Accepted batches are applied in the background: wait until none is left, so snapshots are stable. */
async function settle(): Promise<void> {
  const unfinished = async () => Number((await store.all("SELECT count(*) AS n FROM batches WHERE status = 'incomplete'"))[0]!.n);
  const batchDir = path.join(server.dataDir, 'batches');
  // A finished batch's body file is removed just after the batch is marked complete.
  const busy = async () =>
    (await unfinished()) > 0 || (fs.existsSync(batchDir) && fs.readdirSync(batchDir).some((f) => f.endsWith('.batch')));
  for (let i = 0; i < 2000 && (await busy()); i++) await new Promise((r) => setTimeout(r, 10));
}

function parsedBody(response: RawResponse): unknown {
  try {
    return JSON.parse(response.body);
  } catch {
    return undefined;
  }
}

function checkAnswer(where: string, response: RawResponse, expect: Expectation): void {
  assert.ok(response.status > 0, `${where}: the server closed the connection without answering`);
  assert.ok(response.status < 500, `${where}: ${response.status} ${response.body}`);
  if (response.status >= 400) {
    for (const [what, pattern] of LEAKS) assert.doesNotMatch(response.body, pattern, `${where}: the answer holds ${what}`);
  }
  assert.equal(response.status, expect.status, `${where}: status (body ${response.body.slice(0, 300)})`);
  if (expect.json !== undefined) assert.deepEqual(parsedBody(response), expect.json, `${where}: body`);
  if (expect.text !== undefined) assert.equal(response.body, expect.text, `${where}: body`);
  for (const part of expect.contains ?? [])
    assert.ok(response.body.includes(expand(part)), `${where}: body holds ${part}: ${response.body.slice(0, 300)}`);
  for (const [name, value] of Object.entries(expect.headers ?? {})) {
    assert.equal(response.headers[name.toLowerCase()] ?? null, value, `${where}: header ${name}`);
  }
}

function record(where: string, expect: Expectation, response: RawResponse): void {
  if (expect.status !== response.status) {
    fs.appendFileSync(
      path.join(CORPUS_DIR, '..', '..', 'hostile-mismatches.log'),
      `${where}: ${expect.status} → ${response.status} ${response.body.slice(0, 200)}\n`,
    );
  }
  expect.status = response.status;
  if (expect.contains) return; // answers that vary (batch ids) are checked by substrings only
  const json = parsedBody(response);
  delete expect.json;
  delete expect.text;
  // Successful answers carry request ids and timestamps: legal-data cases check substrings and follow-ups.
  if (response.body === '' || response.status < 300) return;
  if (json !== undefined && /json/.test(response.headers['content-type'] ?? '')) expect.json = json;
  else expect.text = response.body;
}

const files = fs
  .readdirSync(CORPUS_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const corpus = files.map((file) => ({ file, cases: JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, file), 'utf8')) as HostileCase[] }));

before(async () => {
  // A small cap on customer ids per profile, so that ids.json reaches it in a few calls.
  server = await startTestServer({ config: { limits: { maxCustomerIdsPerKind: 3 } } });
  port = Number(new URL(server.url).port);
  assert.equal((await admin(server, 'PUT', '/admin/v1/clients/acme', {})).status, 201);
  const issued = await admin(server, 'POST', '/admin/v1/clients/acme/authentication/token?authorizationScope=profile_api');
  acmeToken = ((await issued.json()) as { accessToken: string }).accessToken;
  for (const [client, body] of [
    [
      'demo',
      { tntId: 'shared-id', thirdPartyId: 'crm-1', marketingCloudVisitorId: 'ecid-1', attributes: { owner: 'demo', color: 'blue' } },
    ],
    ['acme', { tntId: 'shared-id', attributes: { owner: 'acme' } }],
  ] as const) {
    assert.equal((await admin(server, 'POST', `/admin/v1/clients/${client}/profiles`, body)).status, 201);
  }
  assert.equal(
    (await admin(server, 'PUT', '/admin/v1/clients/demo/datastreams/web-1', { imsOrgId: 'HOSTILE@AdobeOrg', thirdPartyIdNamespace: 'CRM' }))
      .status,
    201,
  );
  store = await inspectStore(server);
});

after(async () => {
  await store?.close();
  await server?.dispose();
  if (RECORD) {
    for (const { file, cases } of corpus) fs.writeFileSync(path.join(CORPUS_DIR, file), JSON.stringify(cases, null, 2) + '\n');
  }
});

test('the corpus holds at least 300 cases, each with a unique name', () => {
  const names = corpus.flatMap(({ cases }) => cases.map((c) => c.name));
  assert.ok(names.length >= 300, `only ${names.length} cases`);
  assert.equal(new Set(names).size, names.length, 'duplicate case names');
});

for (const { file, cases } of corpus) {
  describe(file, () => {
    for (const hostile of cases) {
      test(hostile.name, async () => {
        await settle();
        const before = await snapshot();
        const response = await send(hostile);
        if (RECORD) record(hostile.name, hostile.expect, response);
        checkAnswer(hostile.name, response, hostile.expect);
        await settle();
        const mayChange = hostile.mutates ?? (response.status >= 200 && response.status < 300);
        if (!mayChange) {
          const afterwards = await snapshot();
          const changed = afterwards.split('\n').filter((line) => !before.split('\n').includes(line));
          assert.ok(afterwards === before, `${hostile.name}: a refused request changed the store: ${changed.join('\n').slice(0, 500)}`);
        }
        for (const [i, step] of (hostile.then ?? []).entries()) {
          const followUp = await send(step);
          if (RECORD) record(`${hostile.name} → then[${i}]`, step.expect, followUp);
          checkAnswer(`${hostile.name} → then[${i}]`, followUp, step.expect);
        }
        const health = await send({ method: 'GET', path: '/healthz', expect: { status: 200 } });
        assert.equal(health.status, 200, `${hostile.name}: the server is not healthy afterwards`);
      });
    }
  });
}
