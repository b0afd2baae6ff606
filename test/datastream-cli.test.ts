import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runCli } from './support/process.js';
import { startTestServer, type TestServer } from './support/server.js';

/** `profile-edge datastream …` against a running server (docs/web-sdk.md#datastreams). */
let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.dispose());

const cli = (...args: string[]) => runCli(['--url', server.url, '--admin-key', server.adminKey, ...args]);

test('an operator maps a Web SDK datastream to a client, reads, lists and deletes it with the CLI', async () => {
  const put = await cli('datastream', 'put', 'web-1', '-c', 'demo', '--ims-org', 'ABC123@AdobeOrg', '--crm-namespace', 'CRM');
  assert.equal(put.code, 0, put.stderr);
  assert.equal(JSON.parse(put.stdout).thirdPartyIdNamespace, 'CRM');
  const read = await cli('datastream', 'get', 'web-1', '-c', 'demo');
  assert.equal(JSON.parse(read.stdout).imsOrgId, 'ABC123@AdobeOrg');
  const list = await cli('datastream', 'list', '-c', 'demo');
  assert.deepEqual(
    JSON.parse(list.stdout).datastreams.map((d: { configId: string }) => d.configId),
    ['web-1'],
  );
  const refused = await cli('datastream', 'put', 'web-2', '-c', 'demo', '--ims-org', 'nope');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^profile-edge: 400: imsOrgId 'nope' is invalid/);
  const deleted = await cli('datastream', 'delete', 'web-1', '-c', 'demo');
  assert.equal(deleted.code, 0, deleted.stderr);
  const gone = await cli('datastream', 'get', 'web-1', '-c', 'demo');
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /404: No datastream 'web-1' for client demo/);
});
