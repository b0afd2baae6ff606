import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { secretFromDataDir } from '../src/cli/remote.js';
import { spawnServer } from './support/process.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';
import { tempDir } from './support/server.js';

/** A node on PostgreSQL needs no prepared data directory: it only holds the first-start secrets. */
let postgres: TestPostgres;
const work = tempDir('profile-edge-pg-first-start-');
before(async () => {
  postgres = await startPostgres();
});
after(async () => {
  await postgres.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test('first start on PostgreSQL creates a missing data directory for its secrets file, owner-only', async () => {
  const dataDir = path.join(work, 'not', 'there', 'yet');
  const server = await spawnServer(dataDir, { PROFILE_EDGE_DATABASE_URL: await postgres.createDatabase() });
  try {
    const secrets = path.join(dataDir, 'first-start-secrets.env');
    assert.equal(fs.statSync(secrets).mode & 0o777, 0o600);
    assert.equal(fs.statSync(dataDir).mode & 0o077, 0, 'the directory is not readable by others');
    const token = secretFromDataDir(dataDir, 'DEMO_TOKEN');
    assert.ok(token);
    const answer = await fetch(`${server.url}/rest/v1/profiles/thirdPartyId/nobody?client=demo`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(answer.status, 404, 'the printed demo token is accepted (unknown visitor, not 401)');
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
});
