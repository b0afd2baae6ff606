import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { batchFile, profileValues } from './support/batch.js';
import { startTestServer, type TestServer } from './support/server.js';

const REPO = path.resolve(import.meta.dirname, '..');

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.dispose());

/** Runs `profile-edge …` as a user would, against the running test server. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', '--url', server.url, '--data-dir', server.dataDir, ...args],
      { cwd: REPO, env: { ...process.env, PROFILE_EDGE_TOKEN: '', ...env } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('batch upload streams a file, waits for processing and prints the counters; exit 0 when every row applied', async () => {
  const file = batchFile('batch=pcId,plan\ncli-1,pro\ncli-2,free\n');
  // No --token: for client demo the CLI finds DEMO_TOKEN in the data dir's first-start secrets.
  const run = await cli(['batch', 'upload', file, '--client', 'demo']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(
    run.stdout,
    /^batchId: demo-\d{13}-\d{8}\nstatus: complete\nbatchSize: 2\nconsumedCount: 2\nsuccessfulUpdates: 2\nprofilesNotFound: 0\nfailedUpdates: 0\n$/,
  );
  assert.deepEqual(await profileValues(server, '/rest/v1/profiles/cli-2?client=demo'), { plan: 'free' });
});

test('batch upload prints each failed row with its line and exits 3; --v1 counts unknown keys as not found', async () => {
  const file = batchFile('batch=pcId,plan\ncli-1,team\ncli-new,x\ncli-2,%FF\n');
  const run = await cli(['batch', 'upload', file, '--client', 'demo', '--v1', '--token', server.demoToken]);
  assert.equal(run.code, 3, run.stderr);
  assert.match(
    run.stdout,
    /successfulUpdates: 1\nprofilesNotFound: 1\nfailedUpdates: 1\nfailed line 4 \(key cli-2\): column 2 is not valid UTF-8 once percent-decoded: '%FF'\n$/,
  );
  assert.equal(await profileValues(server, '/rest/v1/profiles/cli-new?client=demo'), null);
});

test('a refused batch exits 1 with the server message; batch status shows a batch by id', async () => {
  const refused = await cli(['batch', 'upload', batchFile('batch=mboxPC,plan\nx,y\n'), '--client', 'demo']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /batch refused \(400\): Header row must start with pcId or thirdPartyId, found 'mboxPC'/);

  const wrongToken = await cli(['batch', 'upload', batchFile('batch=pcId,plan\nx,y\n'), '--client', 'demo'], {
    PROFILE_EDGE_TOKEN: 'nope',
  });
  assert.equal(wrongToken.code, 1);
  assert.match(wrongToken.stderr, /batch refused \(403\): The profile token is not valid/);

  const done = await cli(['batch', 'upload', batchFile('batch=pcId,plan\ncli-3,x\ncli-4,%FF\n'), '--client', 'demo', '--no-progress']);
  const batchId = /batchId: (\S+)/.exec(done.stdout)![1]!;
  const status = await cli(['batch', 'status', batchId, '--details']);
  assert.equal(status.code, 0, status.stderr);
  assert.deepEqual(JSON.parse(status.stdout), {
    batchId,
    status: 'complete',
    batchSize: 2,
    consumedCount: 2,
    successfulUpdates: 1,
    profilesNotFound: 0,
    failedUpdates: 1,
    failedRows: [{ line: 3, key: 'cli-4', reason: "column 2 is not valid UTF-8 once percent-decoded: '%FF'" }],
  });
  const unknown = await cli(['batch', 'status', 'demo-1-00000000']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /404: No batch demo-1-00000000 for client demo/);
});
