import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from './support/process.js';
import { startTestServer, type TestServer } from './support/server.js';

/** `profile-edge script …` against a running server. */
let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.dispose());

const cli = (...args: string[]) => runCli(['--url', server.url, '--admin-key', server.adminKey, ...args]);

test('an operator puts a script from a file, tries an edit, reads, lists and deletes it with the CLI', async () => {
  const file = path.join(server.dataDir, 'visits.js');
  fs.writeFileSync(file, "var n = Number(user.get('visits')) || 0; return n + 1;");
  const created = await cli('script', 'put', 'visits', '-c', 'demo', '--file', file, '--description', 'counts calls');
  assert.equal(created.code, 0, created.stderr);
  assert.deepEqual([JSON.parse(created.stdout).version, JSON.parse(created.stdout).status], [1, 'active']);

  const edit = path.join(server.dataDir, 'edit.js');
  fs.writeFileSync(edit, "return mbox.name + ':' + mbox.param('color') + ':' + profile.get('tier');");
  const tried = await cli(
    'script',
    'try',
    'visits',
    '-c',
    'demo',
    '--file',
    edit,
    '--mbox',
    'hero',
    '--param',
    'color=red',
    '--profile',
    'tier=gold',
  );
  assert.equal(tried.code, 0, tried.stderr);
  assert.equal(JSON.parse(tried.stdout).result, 'hero:red:gold');

  const stored = await cli('script', 'try', 'visits', '-c', 'demo', '--tnt-id', 'nobody-yet');
  assert.equal(JSON.parse(stored.stdout).result, '1');

  const list = await cli('script', 'list', '-c', 'demo');
  assert.deepEqual(
    JSON.parse(list.stdout).scripts.map((s: { name: string }) => s.name),
    ['visits'],
  );
  fs.writeFileSync(file, 'return (');
  const refused = await cli('script', 'put', 'visits', '-c', 'demo', '--file', file);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^profile-edge: 400: source does not compile: SyntaxError/);
  const deleted = await cli('script', 'delete', 'visits', '-c', 'demo');
  assert.equal(deleted.code, 0, deleted.stderr);
  const gone = await cli('script', 'get', 'visits', '-c', 'demo');
  assert.equal(gone.code, 1);
});
