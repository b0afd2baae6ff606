import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from './support/process.js';
import { startTestServer, type TestServer } from './support/server.js';

/** `profile-edge activity …` and `client put --response-tokens` against a running server. */
let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.dispose());

const cli = (...args: string[]) => runCli(['--url', server.url, '--admin-key', server.adminKey, ...args]);

test('an operator puts an activity from a file, replaces it, reads, lists and deletes it with the CLI', async () => {
  const file = path.join(server.dataDir, 'spring.json');
  const activity = {
    name: 'Spring hero',
    type: 'ab',
    state: 'live',
    priority: 1,
    experiences: [{ id: 'A', allocation: 100, offers: { hero: { type: 'html', content: '<p>Spring</p>' } } }],
    metrics: [],
  };
  fs.writeFileSync(file, JSON.stringify(activity));
  const created = await cli('activity', 'put', 'spring', '-c', 'demo', '--file', file);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(JSON.parse(created.stdout).version, 1);
  const replaced = await cli('activity', 'put', 'spring', '-c', 'demo', '--file', file);
  assert.equal(JSON.parse(replaced.stdout).version, 2);

  const read = await cli('activity', 'get', 'spring', '-c', 'demo');
  assert.deepEqual(JSON.parse(read.stdout), { ...JSON.parse(replaced.stdout) });
  const list = await cli('activity', 'list', '-c', 'demo');
  assert.deepEqual(
    JSON.parse(list.stdout).activities.map((a: { id: string; version: number }) => [a.id, a.version]),
    [['spring', 2]],
  );

  fs.writeFileSync(file, JSON.stringify({ ...activity, priority: 5000 }));
  const refused = await cli('activity', 'put', 'spring', '-c', 'demo', '--file', file);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^profile-edge: 400: priority/);

  const deleted = await cli('activity', 'delete', 'spring', '-c', 'demo');
  assert.equal(deleted.code, 0, deleted.stderr);
  const gone = await cli('activity', 'get', 'spring', '-c', 'demo');
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /404: Client 'demo' has no activity 'spring'/);
  const report = await cli('activity', 'report', 'spring', '-c', 'demo');
  assert.equal(report.code, 1, 'an error answer is printed, and the command fails');
  assert.match(report.stderr, /^profile-edge: 404: /);
});

test('client put --response-tokens sets the list, and `default` resets it', async () => {
  const set = await cli('client', 'put', 'demo', '--response-tokens', 'activity.id, profile.tier');
  assert.equal(set.code, 0, set.stderr);
  assert.deepEqual(JSON.parse(set.stdout).responseTokens, ['activity.id', 'profile.tier']);
  const reset = await cli('client', 'put', 'demo', '--response-tokens', 'default');
  assert.ok(JSON.parse(reset.stdout).responseTokens.includes('activity.decisioningMethod'));
});

test('artifact import shows what an Adobe artifact holds; show and delete work on it', async () => {
  const file = createRequire(import.meta.url).resolve(
    '@adobe/target-decisioning-engine/test/schema/artifacts/TEST_ARTIFACT_AB_SIMPLE.json',
  );
  const imported = await cli('artifact', 'import', file, '-c', 'demo');
  assert.equal(imported.code, 0, imported.stderr);
  const summary = JSON.parse(imported.stdout);
  assert.equal(summary.version, 1);
  assert.ok(summary.activities.some((activity: { id: string }) => activity.id === 'adobe:125873'));
  assert.deepEqual(JSON.parse((await cli('artifact', 'show', '-c', 'demo')).stdout), summary);
  assert.equal((await cli('artifact', 'delete', '-c', 'demo')).code, 0);
  const gone = await cli('artifact', 'show', '-c', 'demo');
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /404: Client 'demo' has no imported artifact/);
});
