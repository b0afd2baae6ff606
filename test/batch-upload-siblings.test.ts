import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { test } from 'node:test';
import { secretFromDataDir } from '../src/cli/remote.js';
import { xmlField } from './support/batch.js';
import { startChildServer } from './support/child-server.js';
import { tempDir } from './support/server.js';

/**
 * Two server processes on one data directory (as `--workers` runs them, or a second `serve`): the
 * one that starts while the other is receiving an upload must not take that upload's file for a
 * leftover of a crash. Before this was fixed, a worker restarted by the primary after a kill
 * removed its sibling's upload in flight, and that upload was answered 500.
 */
test('a server starting on a data directory leaves the upload another process is receiving alone', async () => {
  const dataDir = tempDir('profile-edge-siblings-');
  const first = await startChildServer(dataDir);
  let second: Awaited<ReturnType<typeof startChildServer>> | undefined;
  try {
    const token = secretFromDataDir(dataDir, 'DEMO_TOKEN')!;
    const rows = Array.from({ length: 2000 }, (_, i) => `sibling-${i},${i}`).join('\n');
    const body = Buffer.from(`batch=pcId,n\n${rows}\n`);
    const half = Math.floor(body.length / 2);
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = http.request(`${first.url}/m2/demo/v2/profile/batchUpdate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-length': body.length, 'content-type': 'text/plain' },
      });
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode!, text }));
      });
      request.on('error', reject);
      // Half the body now; the rest once the second process has started.
      request.write(body.subarray(0, half));
      void (async () => {
        const deadline = Date.now() + 10_000;
        const uploading = () =>
          fs.existsSync(`${dataDir}/batches`) && fs.readdirSync(`${dataDir}/batches`).some((f) => f.endsWith('.upload'));
        while (!uploading()) {
          if (Date.now() > deadline) throw new Error('the upload file never appeared');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        second = await startChildServer(dataDir);
        request.end(body.subarray(half));
      })().catch(reject);
    });
    const answer = await answered;
    assert.equal(answer.status, 200, answer.text);
    const batchId = new URL(xmlField(answer.text, 'batchStatus')!).searchParams.get('batchId')!;
    let status = '';
    for (let i = 0; i < 200; i++) {
      status = await (
        await fetch(`${first.url}/m2/demo/profile/batchStatus?batchId=${batchId}`, { headers: { authorization: `Bearer ${token}` } })
      ).text();
      if (xmlField(status, 'status') !== 'incomplete') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(xmlField(status, 'status'), 'complete', status);
  } finally {
    await second?.stop();
    await first.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
