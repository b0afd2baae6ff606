import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseConfig } from '../src/config.js';
import { secretFromDataDir } from '../src/cli/remote.js';
import { type RunningServer, startServer } from '../src/server.js';
import { batchFile, batchIdOf, curlBatch, waitForBatch } from './support/batch.js';
import { tempDir, type TestServer } from './support/server.js';

/**
 * Uploads that the client cuts off half way (a closed laptop, a killed curl): the server must
 * drop the partial body at once — no file left in the data directory, no file handle kept open —
 * and treat it as the client's doing, not as a server fault in the log.
 */
let running: RunningServer;
let dataDir: string;
let demoToken: string;
const logLines: Array<{ level: number; msg: string; err?: unknown }> = [];

before(async () => {
  dataDir = tempDir();
  const config = parseConfig({}, { port: 0, host: '127.0.0.1', dataDir, logLevel: 'info' });
  const stream = { write: (line: string) => logLines.push(JSON.parse(line)) };
  running = await startServer(config, { logger: { stream } });
  demoToken = secretFromDataDir(dataDir, 'DEMO_TOKEN')!;
});
after(async () => {
  await running.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const DECLARED_BYTES = 10 * 1024 * 1024;
const SENT_BYTES = 2 * 1024 * 1024;
const BOUNDARY = 'cut-off-boundary';

function rowsOf(bytes: number): Buffer {
  const row = 'visitor-xxxxxxxx,gold,Lyon\n';
  return Buffer.from(row.repeat(Math.ceil(bytes / row.length)).slice(0, bytes));
}

/** Sends the headers of a 10 MB upload and its first 2 MB, then closes the socket without a word. */
function cutOffUpload(kind: 'raw' | 'multipart'): Promise<void> {
  const head =
    kind === 'raw'
      ? Buffer.from('batch=pcId,tier,city\n')
      : Buffer.from(
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="crm.txt"\r\nContent-Type: text/plain\r\n\r\nbatch=pcId,tier,city\n`,
        );
  const contentType = kind === 'raw' ? 'application/x-www-form-urlencoded' : `multipart/form-data; boundary=${BOUNDARY}`;
  const request = Buffer.concat([
    Buffer.from(
      `POST /m2/demo/v2/profile/batchUpdate HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${demoToken}\r\n` +
        `Content-Type: ${contentType}\r\nContent-Length: ${DECLARED_BYTES}\r\n\r\n`,
    ),
    head,
    rowsOf(SENT_BYTES),
  ]);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(running.url).port), '127.0.0.1');
    socket.on('error', reject);
    socket.write(request, () => {
      // Let the server read what was sent before the client disappears.
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 200);
    });
  });
}

function leftoverBodies(): string[] {
  const dir = path.join(dataDir, 'batches');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

function openFileHandles(): string[] {
  // Only regular files count: sockets come and go with the test's own connections.
  return fs
    .readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith(dataDir));
}

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

for (const kind of ['multipart', 'raw'] as const) {
  test(`five ${kind} uploads cut off at 2 MB leave no file behind, no handle open and no server fault in the log`, async () => {
    const handlesBefore = openFileHandles().length;
    logLines.length = 0;
    for (let i = 0; i < 5; i++) await cutOffUpload(kind);
    const cleaned = await eventually(() => leftoverBodies().length === 0 && openFileHandles().length <= handlesBefore);
    assert.ok(cleaned, `left behind: files ${JSON.stringify(leftoverBodies())}, handles ${JSON.stringify(openFileHandles())}`);
    const faults = logLines.filter((line) => line.level >= 50);
    assert.deepEqual(faults, [], 'an upload cut off by its client is not a server fault');
    const noted = logLines.filter((line) => /cut off|aborted/i.test(line.msg));
    assert.ok(noted.length >= 1, 'the cut-off uploads are noted in the log, at info level');
  });
}

test('after cut-off uploads, a complete batch is accepted and applied as usual', async () => {
  const server = {
    url: running.url,
    demoToken,
    fetch: (pathAndQuery: string, init?: RequestInit) => fetch(running.url + pathAndQuery, init),
  } as TestServer;
  const answer = await curlBatch(server, '/m2/demo/v2/profile/batchUpdate', batchFile('batch=pcId,tier\nafter-cut-1,gold\n'));
  assert.equal(answer.status, 200, answer.body);
  await waitForBatch(server, 'demo', batchIdOf(answer.body));
});
