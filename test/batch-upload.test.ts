import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { batchFile, batchIdOf, curlBatch, detailedStatus, failureReport, profileValues, waitForBatch, xmlField } from './support/batch.js';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.dispose());

const V2 = '/m2/demo/v2/profile/batchUpdate';
const V1 = '/m2/demo/profile/batchUpdate';

async function submit(body: string | Buffer, path = V2): Promise<string> {
  const answer = await curlBatch(server, path, batchFile(body));
  assert.equal(answer.status, 200, answer.body);
  return batchIdOf(answer.body);
}

test("the documented curl call answers Target's XML with an absolute batchStatus link back to this server", async () => {
  const answer = await curlBatch(server, V2, batchFile('batch=pcId,color\ncurl-1,red\n'));
  assert.equal(answer.status, 200);
  const batchId = batchIdOf(answer.body);
  assert.match(batchId, /^demo-\d{13}-\d{8}$/);
  assert.equal(
    answer.body,
    `<response><success>true</success><batchStatus>${server.url}/m2/demo/profile/batchStatus?batchId=${batchId}</batchStatus>` +
      '<message>Batch submitted for processing</message></response>',
  );
  // Following the link as given (no details): Target's short status document.
  await waitForBatch(server, 'demo', batchId);
  const status = await fetch(xmlField(answer.body, 'batchStatus')!, { headers: bearer(server.demoToken) });
  assert.equal(await status.text(), `<response><batchId>${batchId}</batchId><status>complete</status><batchSize>1</batchSize></response>`);
  assert.deepEqual(await profileValues(server, '/rest/v1/profiles/curl-1?client=demo'), { color: 'red' });
});

test('a CRM batch with one bad row applies the other rows and reports line 3 with its key and reason', async () => {
  const batchId = await submit('batch=thirdPartyId,tier,city\ncrm-1,gold,Paris\ncrm-2,%FF,Lyon\ncrm-3,silver,\n');
  const status = await waitForBatch(server, 'demo', batchId);
  assert.equal(status, detailedStatus(server, 'demo', batchId, { batchSize: 3, consumed: 3, ok: 2, notFound: 0, failed: 1 }));
  assert.deepEqual(await failureReport(server, 'demo', batchId), [
    { line: 3, key: 'crm-2', reason: "column 2 is not valid UTF-8 once percent-decoded: '%FF'" },
  ]);
  assert.deepEqual(await profileValues(server, '/rest/v1/profiles/thirdPartyId/crm-1?client=demo'), { tier: 'gold', city: 'Paris' });
  assert.deepEqual(await profileValues(server, '/rest/v1/profiles/thirdPartyId/crm-3?client=demo'), { tier: 'silver' });
  assert.equal(await profileValues(server, '/rest/v1/profiles/thirdPartyId/crm-2?client=demo'), null);
});

test('%25 %26 %2C %2B decode, while a raw & = and + are data (+ is a space), never a form truncation', async () => {
  const batchId = await submit('batch=pcId,pct,amp,comma,plus,raw\nenc-1,100%25,a%26b,x%2Cy,1%2B1,a&b=c+d\n');
  await waitForBatch(server, 'demo', batchId);
  assert.deepEqual(await profileValues(server, '/rest/v1/profiles/enc-1?client=demo'), {
    pct: '100%',
    amp: 'a&b',
    comma: 'x,y',
    plus: '1+1',
    raw: 'a&b=c d',
  });
});

test('CRLF line ends, a UTF-8 BOM, no trailing newline and URL-encoded UTF-8 names all read', async () => {
  const batchId = await submit(Buffer.from('\uFEFFbatch=pcId,caf%C3%A9,note\r\ncrlf-1,cr%C3%A8me,ok\r\ncrlf-2,,last'));
  const status = await waitForBatch(server, 'demo', batchId);
  assert.equal(xmlField(status, 'successfulUpdates'), '2');
  assert.deepEqual(await profileValues(server, '/rest/v1/profiles/crlf-1?client=demo'), { café: 'crème', note: 'ok' });
  assert.deepEqual(await profileValues(server, '/rest/v1/profiles/crlf-2?client=demo'), { note: 'last' });
});

test('short rows and empty cells never clear a stored value; an all-empty row changes nothing', async () => {
  const first = await submit('batch=pcId,a,b,c\nkeep-1,1,2,3\n');
  await waitForBatch(server, 'demo', first);
  const second = await submit('batch=pcId,a,b,c\nkeep-1,,20\nkeep-1\nkeep-1,,,\nkeep-none,,,\n');
  const status = await waitForBatch(server, 'demo', second);
  // Every row is consumed and counted as successful; the empty ones write nothing.
  assert.equal(status, detailedStatus(server, 'demo', second, { batchSize: 4, consumed: 4, ok: 4, notFound: 0, failed: 0 }));
  assert.deepEqual(await profileValues(server, '/rest/v1/profiles/keep-1?client=demo'), { a: '1', b: '20', c: '3' });
  // v2 creates missing profiles, but not for a row with nothing to write.
  assert.equal(await profileValues(server, '/rest/v1/profiles/keep-none?client=demo'), null);
});

test('row-level failures: too many cells, empty and blocklisted keys, a value over 5000 characters, a bad tntId', async () => {
  const long = 'x'.repeat(5001);
  const batchId = await submit(
    `batch=pcId,a,b\nrow-ok,1,2\nrow-wide,1,2,3\n,1,2\nnull,1,2\nundefined,1\nrow-long,${long}\nbad.id,1\nrow-ok2,5000,${'y'.repeat(5000)}\n`,
  );
  const status = await waitForBatch(server, 'demo', batchId);
  assert.equal(status, detailedStatus(server, 'demo', batchId, { batchSize: 8, consumed: 8, ok: 2, notFound: 0, failed: 6 }));
  assert.deepEqual(await failureReport(server, 'demo', batchId), [
    { line: 3, key: 'row-wide', reason: 'row has 4 cells but the header names 3 columns' },
    { line: 4, key: '', reason: 'key is empty' },
    { line: 5, key: 'null', reason: "pcId 'null' is not a usable visitor id" },
    { line: 6, key: 'undefined', reason: "pcId 'undefined' is not a usable visitor id" },
    { line: 7, key: 'row-long', reason: "value of attribute 'a' is longer than the 5000-character limit" },
    { line: 8, key: 'bad.id', reason: "pcId may contain a '.' only before a location hint of the form .<cluster>_<node>" },
  ]);
  assert.equal(await profileValues(server, '/rest/v1/profiles/row-wide?client=demo'), null);
  assert.equal((await profileValues(server, '/rest/v1/profiles/row-ok2?client=demo'))!.b!.length, 5000);
});

test('a row that would push a profile over 64 KB fails alone and leaves the profile as it was', async () => {
  const names = Array.from({ length: 14 }, (_, i) => `big${i}`);
  const value = 'v'.repeat(4990);
  const seven = (row: number) => Array.from({ length: 14 }, (_, i) => (Math.floor(i / 7) === row ? value : '')).join(',');
  const batchId = await submit(
    `batch=pcId,${names.join(',')}\nbig-1,${seven(0)}\nbig-1,${seven(1)}\nbig-1,${Array(14).fill(value).join(',')}\n`,
  );
  const status = await waitForBatch(server, 'demo', batchId);
  // Seven ~5 KB values fit (≈35 KB); fourteen would be ≈70 KB > 64 KB, so rows 3 and 4 fail.
  assert.equal(xmlField(status, 'failedUpdates'), '2');
  const report = await failureReport(server, 'demo', batchId);
  assert.deepEqual(
    report.map((row) => [row.line, row.key]),
    [
      [3, 'big-1'],
      [4, 'big-1'],
    ],
  );
  assert.match(report[0]!.reason, /over the 65536-byte \(64 KB\) limit; nothing was written/);
  const stored = await profileValues(server, '/rest/v1/profiles/big-1?client=demo');
  assert.deepEqual(Object.keys(stored!).sort(), names.slice(0, 7).sort());
});

test('duplicate keys in one batch apply in file order', async () => {
  const batchId = await submit('batch=pcId,color,size\ndup-1,red,S\ndup-2,green,\ndup-1,blue,\ndup-1,,L\n');
  await waitForBatch(server, 'demo', batchId);
  assert.deepEqual(await profileValues(server, '/rest/v1/profiles/dup-1?client=demo'), { color: 'blue', size: 'L' });
});

test('v1 updates existing profiles only and counts unknown keys as profilesNotFound; v2 creates them', async () => {
  await submit('batch=pcId,seen\nknown-1,yes\n').then((id) => waitForBatch(server, 'demo', id));
  const v1 = await submit('batch=pcId,seen\nknown-1,again\nunknown-1,yes\nunknown-2,yes\n', V1);
  const v1Status = await waitForBatch(server, 'demo', v1);
  assert.equal(v1Status, detailedStatus(server, 'demo', v1, { batchSize: 3, consumed: 3, ok: 1, notFound: 2, failed: 0 }));
  assert.deepEqual(await profileValues(server, '/rest/v1/profiles/known-1?client=demo'), { seen: 'again' });
  assert.equal(await profileValues(server, '/rest/v1/profiles/unknown-1?client=demo'), null);

  const v2 = await submit('batch=pcId,seen\nunknown-1,created\n');
  assert.equal(xmlField(await waitForBatch(server, 'demo', v2), 'profilesNotFound'), '0');
  assert.deepEqual(await profileValues(server, '/rest/v1/profiles/unknown-1?client=demo'), { seen: 'created' });
});

test('a pcId with a location hint updates the profile of the bare tntId', async () => {
  const batchId = await submit('batch=pcId,hinted\nhint-1.28_0,yes\n');
  await waitForBatch(server, 'demo', batchId);
  assert.deepEqual(await profileValues(server, '/rest/v1/profiles/hint-1?client=demo'), { hinted: 'yes' });
});

test('every whole-batch refusal answers 400 with success=false and applies nothing', async () => {
  const cases: Array<[string, string]> = [
    ['pcId,a\nref-1,v\n', "Batch body must start with 'batch=' followed by the header row"],
    ['', "Batch body must start with 'batch=' followed by the header row"],
    ['batch=mboxPC,a\nref-1,v\n', "Header row must start with pcId or thirdPartyId, found 'mboxPC'"],
    ['batch=pcId\nref-1\n', 'Header row names no attribute columns after the key column'],
    ['batch=pcId,a,,b\nref-1,v\n', 'Header column 3 has an empty name'],
    ['batch=pcId,a,a\nref-1,v\n', "Header column 'a' appears more than once"],
    ['batch=pcId,a%FF\nref-1,v\n', "Header column 2 is not valid UTF-8 once percent-decoded: 'a%FF'"],
    ['batch=pcId,sessionCount\nref-1,v\n', "Header row: attribute name 'sessionCount' is reserved for the server"],
    ['batch=pcId,user.x\nref-1,v\n', "Header row: attribute name 'user.x' is in the 'user.' namespace reserved for profile scripts"],
    [`batch=pcId,${'n'.repeat(129)}\nref-1,v\n`, `Header row: attribute name '${'n'.repeat(32)}…' is longer than the 128-character limit`],
    ['batch=pcId,a\n', 'Batch is empty: no data rows after the header'],
    ['batch=pcId,a\n\n\r\n', 'Batch is empty: no data rows after the header'],
  ];
  for (const [body, message] of cases) {
    const answer = await curlBatch(server, V2, batchFile(body));
    assert.equal(answer.status, 400, body);
    assert.equal(answer.body, `<response><success>false</success><message>${message.replace(/'/g, '&apos;')}</message></response>`);
  }
  assert.equal(await profileValues(server, '/rest/v1/profiles/ref-1?client=demo'), null);
});

test('text/plain, text/csv, octet-stream and a multipart file field are accepted; JSON is not', async () => {
  for (const type of ['text/plain', 'text/csv; charset=utf-8', 'application/octet-stream']) {
    const answer = await curlBatch(server, V2, batchFile(`batch=pcId,via\nct-${type.split(/[/;]/)[1]},${encodeURIComponent(type)}\n`), {
      args: ['-H', `Content-Type: ${type}`],
    });
    assert.equal(answer.status, 200, type);
    await waitForBatch(server, 'demo', batchIdOf(answer.body));
  }
  assert.deepEqual(await profileValues(server, '/rest/v1/profiles/ct-csv?client=demo'), { via: 'text/csv; charset=utf-8' });

  // curl -F batch=@file: the file field carries the body, with or without the batch= prefix.
  for (const [key, body] of [
    ['mp-1', 'batch=pcId,via\nmp-1,multipart\n'],
    ['mp-2', 'pcId,via\nmp-2,multipart\n'],
  ] as const) {
    const file = batchFile(body);
    const { execFile } = await import('node:child_process');
    const out = await new Promise<string>((resolve, reject) =>
      execFile('curl', ['-s', '-F', `batch=@${file}`, server.url + V2, '-H', `Authorization: Bearer ${server.demoToken}`], (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    await waitForBatch(server, 'demo', batchIdOf(out));
    assert.deepEqual(await profileValues(server, `/rest/v1/profiles/${key}?client=demo`), { via: 'multipart' });
  }

  const json = await curlBatch(server, V2, batchFile('{"batch":1}'), { args: ['-H', 'Content-Type: application/json'] });
  assert.equal(json.status, 415);
  assert.match(json.body, /^<response><success>false<\/success><message>Unsupported Content-Type &apos;application\/json&apos;/);
});

test('upload, status and report need the client token (401 missing, 403 wrong); unknown batch ids are 404', async () => {
  const missing = await curlBatch(server, V2, batchFile('batch=pcId,a\nauth-1,v\n'), { token: null });
  assert.equal(missing.status, 401);
  assert.equal(
    missing.body,
    '<response><success>false</success><message>Client demo requires authentication: send Authorization: Bearer &lt;profile token&gt;</message></response>',
  );
  const wrong = await curlBatch(server, V2, batchFile('batch=pcId,a\nauth-1,v\n'), { token: 'pet_0000000000000000.' + 'A'.repeat(43) });
  assert.equal(wrong.status, 403);

  const batchId = await submit('batch=pcId,a\nauth-2,v\n');
  await waitForBatch(server, 'demo', batchId);
  const noToken = await server.fetch(`/m2/demo/profile/batchStatus?batchId=${batchId}`);
  assert.equal(noToken.status, 401);
  const noTokenReport = await server.fetch(`/m2/demo/profile/batchReport?batchId=${batchId}`);
  assert.equal(noTokenReport.status, 401);

  const unknown = await server.fetch('/m2/demo/profile/batchStatus?batchId=demo-1-00000000', { headers: bearer(server.demoToken) });
  assert.equal(unknown.status, 404);
  assert.equal(
    await unknown.text(),
    '<response><success>false</success><message>No batch demo-1-00000000 for client demo</message></response>',
  );
  const v2Path = await server.fetch(`/m2/demo/v2/profile/batchStatus?batchId=${batchId}`, { headers: bearer(server.demoToken) });
  assert.equal(v2Path.status, 200);
});

test("a batch id of client A is unknown to client B, even with B's valid token", async () => {
  await admin(server, 'PUT', '/admin/v1/clients/other', {});
  const issued = (await (
    await admin(server, 'POST', '/admin/v1/clients/other/authentication/token?authorizationScope=profile_api')
  ).json()) as {
    accessToken: string;
  };
  const batchId = await submit('batch=pcId,a\ncross-1,v\n');
  await waitForBatch(server, 'demo', batchId);
  for (const endpoint of ['batchStatus', 'batchReport']) {
    const answer = await server.fetch(`/m2/other/profile/${endpoint}?batchId=${batchId}`, { headers: bearer(issued.accessToken) });
    assert.equal(answer.status, 404, endpoint);
  }
  // And demo's token is not valid for client other's endpoints.
  const crossToken = await server.fetch(`/m2/other/profile/batchStatus?batchId=${batchId}`, { headers: bearer(server.demoToken) });
  assert.equal(crossToken.status, 403);
});

test('the failure report pages through every failed row, as XML by default and JSON on request', async () => {
  const rows = Array.from({ length: 25 }, (_, i) => (i % 2 === 0 ? `page-${i},%FF` : `page-${i},ok`));
  const batchId = await submit(`batch=pcId,a\n${rows.join('\n')}\n`);
  await waitForBatch(server, 'demo', batchId);
  const first = await server.fetch(`/m2/demo/profile/batchReport?batchId=${batchId}&limit=10&format=json`, {
    headers: bearer(server.demoToken),
  });
  const page = (await first.json()) as { failedRows: Array<{ line: number }>; nextPage: string; failedUpdates: number };
  assert.equal(page.failedUpdates, 13);
  assert.deepEqual(
    page.failedRows.map((r) => r.line),
    [2, 4, 6, 8, 10, 12, 14, 16, 18, 20],
  );
  assert.equal(page.nextPage, `${server.url}/m2/demo/profile/batchReport?batchId=${batchId}&afterLine=20&limit=10&format=json`);
  const second = (await (await fetch(page.nextPage, { headers: bearer(server.demoToken) })).json()) as {
    failedRows: Array<{ line: number }>;
    nextPage: null;
  };
  assert.deepEqual(
    second.failedRows.map((r) => r.line),
    [22, 24, 26],
  );
  assert.equal(second.nextPage, null);

  const xml = await (
    await server.fetch(`/m2/demo/profile/batchReport?batchId=${batchId}&afterLine=24`, { headers: bearer(server.demoToken) })
  ).text();
  assert.equal(
    xml,
    `<response><batchId>${batchId}</batchId><status>complete</status><failedUpdates>13</failedUpdates><failedRows>` +
      `<row><line>26</line><key>page-24</key><reason>column 2 is not valid UTF-8 once percent-decoded: &apos;%FF&apos;</reason></row>` +
      '</failedRows></response>',
  );
});
