import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { batchFile, batchIdOf, curlBatch, profileValues, waitForBatch, xmlField } from './support/batch.js';
import { bearer, startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.dispose());

const V2 = '/m2/demo/v2/profile/batchUpdate';

function batchFilesLeft(): string[] {
  const dir = `${server.dataDir}/batches`;
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

/** A finished body is removed right after the commit that completes the batch. */
async function eventuallyNoBatchFiles(): Promise<void> {
  for (let i = 0; i < 100 && batchFilesLeft().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(batchFilesLeft(), []);
}

test('a batch of 500,001 rows is refused whole: 400, nothing applied, nothing left on disk', async () => {
  const lines = ['batch=pcId,n'];
  for (let i = 0; i < 500_001; i++) lines.push(`max-${i},1`);
  const answer = await curlBatch(server, V2, batchFile(lines.join('\n') + '\n'));
  assert.equal(answer.status, 400);
  assert.equal(
    answer.body,
    '<response><success>false</success><message>Batch has more than 500000 data rows; split it into smaller batches</message></response>',
  );
  assert.equal(await profileValues(server, '/rest/v1/profiles/max-0?client=demo'), null);
  assert.deepEqual(batchFilesLeft(), []);
});

test('a body of 50 MB or more is refused with 413 by curl (Content-Length known)', async () => {
  const file = batchFile('');
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'batch=pcId,n\n');
  const row = Buffer.from('big-body,' + 'x'.repeat(990) + '\n');
  for (let written = 13; written < 50 * 1024 * 1024; written += row.length) fs.writeSync(fd, row);
  fs.closeSync(fd);
  const answer = await curlBatch(server, V2, file);
  assert.equal(answer.status, 413);
  assert.equal(answer.body, '<response><success>false</success><message>Batch body must be smaller than 50 MB</message></response>');
  assert.equal(await profileValues(server, '/rest/v1/profiles/big-body?client=demo'), null);
  assert.deepEqual(batchFilesLeft(), []);
});

test('a streamed body without Content-Length is cut off at 50 MB with 413, raw and multipart alike', async () => {
  const chunk = Buffer.from('streamed,' + 'y'.repeat(1014) + '\n');
  const body = (prefix: string, suffix = '') =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(Buffer.from(prefix));
        for (let i = 0; i < 51 * 1024; i++) controller.enqueue(chunk);
        if (suffix) controller.enqueue(Buffer.from(suffix));
        controller.close();
      },
    });
  const raw = await server.fetch(V2, {
    method: 'POST',
    headers: { ...bearer(server.demoToken), 'content-type': 'text/plain' },
    body: body('batch=pcId,n\n'),
    duplex: 'half',
  } as RequestInit);
  assert.equal(raw.status, 413);
  assert.match(await raw.text(), /Batch body must be smaller than 50 MB/);

  const boundary = 'profile-edge-boundary';
  const multipart = await server
    .fetch(V2, {
      method: 'POST',
      headers: { ...bearer(server.demoToken), 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: body(
        `--${boundary}\r\nContent-Disposition: form-data; name="batch"; filename="b.txt"\r\nContent-Type: text/plain\r\n\r\nbatch=pcId,n\n`,
        `\r\n--${boundary}--\r\n`,
      ),
      duplex: 'half',
    } as RequestInit)
    .catch((err: unknown) => err as Error);
  // The server may close the connection while the client is still sending; when it answers, it says 413.
  if (multipart instanceof Response) assert.equal(multipart.status, 413);
  assert.equal(await profileValues(server, '/rest/v1/profiles/streamed?client=demo'), null);
  await eventuallyNoBatchFiles();
});

test('limits are configuration: exactly maxBatchRows rows are accepted, one more is refused', async () => {
  const small = await startTestServer({ config: { limits: { maxBatchRows: 3 } } });
  try {
    const three = await curlBatch(small, V2, batchFile('batch=pcId,n\nlim-1,1\n\nlim-2,2\nlim-3,3\n'));
    assert.equal(three.status, 200);
    const status = await waitForBatch(small, 'demo', batchIdOf(three.body));
    assert.equal(xmlField(status, 'batchSize'), '3');
    const four = await curlBatch(small, V2, batchFile('batch=pcId,n\nlim-1,1\nlim-2,2\nlim-3,3\nlim-4,4\n'));
    assert.equal(four.status, 400);
    assert.match(four.body, /Batch has more than 3 data rows/);
  } finally {
    await small.dispose();
  }
});

test('a processed batch leaves no body file behind', async () => {
  const answer = await curlBatch(server, V2, batchFile('batch=pcId,n\ntidy-1,1\n'));
  await waitForBatch(server, 'demo', batchIdOf(answer.body));
  await eventuallyNoBatchFiles();
});

test('a batch whose stored body disappeared is reported stuck, with the reason in its report', async () => {
  const dataDir = (await import('./support/server.js')).tempDir();
  const first = await startTestServer({ dataDir });
  const answer = await curlBatch(first, V2, batchFile('batch=pcId,n\nstuck-1,1\n'));
  const batchId = batchIdOf(answer.body);
  // Stop before processing can matter, then lose the body file, as a broken disk or operator would.
  await first.stop();
  fs.rmSync(`${dataDir}/batches`, { recursive: true, force: true });
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(`${dataDir}/profile-edge.db`);
  db.prepare(
    "UPDATE batches SET status = 'incomplete', consumed_count = 0, successful_updates = 0, next_offset = 13, next_line = 2 WHERE batch_id = ?",
  ).run(batchId);
  db.close();
  const second = await startTestServer({ dataDir });
  try {
    const status = await waitForBatch(second, 'demo', batchId);
    assert.equal(xmlField(status, 'status'), 'stuck');
    const report = (await (
      await second.fetch(`/m2/demo/profile/batchReport?batchId=${batchId}&format=json`, { headers: bearer(second.demoToken) })
    ).json()) as {
      stuckReason: string;
    };
    assert.equal(report.stuckReason, 'the stored batch body is missing');
  } finally {
    await second.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
