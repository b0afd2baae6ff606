import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, test } from 'node:test';
import { secretFromDataDir } from '../src/cli/remote.js';
import { runCli, spawnServer } from './support/process.js';
import { tempDir } from './support/server.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

test('first start prints the admin key and demo token once and keeps them in an owner-only file', async () => {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const first = await spawnServer(dataDir);
  const secretsFile = path.join(dataDir, 'first-start-secrets.env');
  const adminKey = secretFromDataDir(dataDir, 'ADMIN_KEY')!;
  const demoToken = secretFromDataDir(dataDir, 'DEMO_TOKEN')!;
  assert.match(adminKey, /^pea_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
  assert.match(demoToken, /^pet_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
  assert.ok(first.output().includes(adminKey) && first.output().includes(demoToken), 'printed on first start');
  assert.equal(fs.statSync(secretsFile).mode & 0o777, 0o600);
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0);

  const second = await spawnServer(dataDir);
  assert.ok(!second.output().includes('first start'), 'later starts print nothing secret');
  const response = await fetch(`${second.url}/admin/v1/clients`, { headers: { authorization: `Bearer ${adminKey}` } });
  assert.equal(response.status, 200, 'the stored key still works after a restart');
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0);
  // The database holds only a hash of each secret.
  const db = fs.readFileSync(path.join(dataDir, 'profile-edge.db'));
  assert.ok(!db.includes(Buffer.from(adminKey.split('.')[1]!)) && !db.includes(Buffer.from(demoToken.split('.')[1]!)));
});

test('SIGTERM lets an in-flight request finish, then closes the database cleanly and exits 0', async () => {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const server = await spawnServer(dataDir);
  const token = secretFromDataDir(dataDir, 'DEMO_TOKEN')!;
  const adminKey = secretFromDataDir(dataDir, 'ADMIN_KEY')!;
  await fetch(`${server.url}/admin/v1/clients/demo/profiles`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tntId: 'late', attributes: {} }),
  });

  const body = 'mboxPC=late&profile.arrived=during-shutdown';
  const reply = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = http.request(`${server.url}/m2/demo/profile/update`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
      },
    });
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, text }));
    });
    request.on('error', reject);
    request.write(body.slice(0, 10));
    setTimeout(() => {
      server.child.kill('SIGTERM');
      setTimeout(() => request.end(body.slice(10)), 300);
    }, 200);
  });
  const { status, text } = await reply;
  assert.equal(status, 200);
  assert.match(text, /<success>true<\/success>/);
  assert.equal(await server.exited, 0);
  assert.ok(!fs.existsSync(path.join(dataDir, 'profile-edge.db-wal')), 'a clean close checkpoints and removes the WAL');

  const restarted = await spawnServer(dataDir);
  const profile = await fetch(`${restarted.url}/rest/v1/profiles/late?client=demo`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(
    ((await profile.json()) as { profileAttributes: Record<string, { value: string }> }).profileAttributes.arrived!.value,
    'during-shutdown',
  );
  restarted.child.kill('SIGTERM');
  await restarted.exited;
});

test('the CLI manages clients, tokens and profiles on a running server', async () => {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const server = await spawnServer(dataDir);
  const cli = (...args: string[]) => runCli(['--url', server.url, '--data-dir', dataDir, ...args]);
  try {
    const put = await cli('client', 'put', 'kiosk', '--lifetime-days', '30');
    assert.equal(put.code, 0, put.stderr);
    assert.equal(JSON.parse(put.stdout).profileLifetimeDays, 30);
    assert.equal(JSON.parse((await cli('client', 'get', 'kiosk')).stdout).requireAuth, true);
    assert.deepEqual(
      JSON.parse((await cli('client', 'list')).stdout).clients.map((c: { client: string }) => c.client),
      ['demo', 'kiosk'],
    );

    const token = JSON.parse((await cli('token', 'new', '--client', 'kiosk')).stdout);
    assert.match(token.accessToken, /^pet_/);
    assert.equal(JSON.parse((await cli('token', 'get', '--client', 'kiosk')).stdout).tokenId, token.tokenId);

    const set = await cli('profile', 'set', '-c', 'kiosk', '--third-party-id', 'crm-9', 'tier=gold', 'note=a=b');
    assert.equal(set.code, 0, set.stderr);
    const fetched = await fetch(`${server.url}/rest/v1/profiles/thirdPartyId/crm-9?client=kiosk`, {
      headers: { authorization: `Bearer ${token.accessToken}` },
    });
    const attributes = ((await fetched.json()) as { profileAttributes: Record<string, { value: string }> }).profileAttributes;
    assert.equal(attributes.tier!.value, 'gold');
    assert.equal(attributes.note!.value, 'a=b');

    assert.equal((await cli('profile', 'remove-attribute', 'tier', '-c', 'kiosk', '--third-party-id', 'crm-9')).code, 0);
    const got = JSON.parse((await cli('profile', 'get', '-c', 'kiosk', '--third-party-id', 'crm-9')).stdout);
    assert.deepEqual(Object.keys(got.profileAttributes), ['note']);
    const deleted = JSON.parse((await cli('profile', 'delete', '-c', 'kiosk', '--third-party-id', 'crm-9')).stdout);
    assert.equal(deleted.deleted, true);

    const missing = await cli('profile', 'get', '-c', 'kiosk', '--third-party-id', 'crm-9');
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'profile-edge: 404: No profile found for client kiosk with third party id=crm-9');
    const badKey = await runCli(['--url', server.url, '--admin-key', 'wrong', 'client', 'list']);
    assert.equal(badKey.stderr.trim(), 'profile-edge: 403: The admin key is not valid');
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
});
