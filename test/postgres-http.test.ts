import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from './support/process.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';

/**
 * The HTTP behaviour on PostgreSQL: delivery, bulk, single update, fetch and admin test files run
 * unchanged against servers on a throwaway PostgreSQL (test/support/server.ts gives each test
 * server its own database when PROFILE_EDGE_TEST_POSTGRES_ADMIN_URL is set); privacy, tenant
 * isolation and the hostile corpus look into whichever database their server runs on
 * (test/support/store-inspector.ts). Files that read the SQLite file directly (merge
 * facts, crash end state, body files) are covered on PostgreSQL by the store contract suite and
 * test/postgres-scale-out.test.ts instead.
 */
const FILES = [
  'test/delivery-http.test.ts',
  'test/delivery-sessions.test.ts',
  'test/delivery-sdk.test.ts',
  'test/batch-upload.test.ts',
  'test/batch-concurrency.test.ts',
  'test/single-update.test.ts',
  'test/profile-fetch.test.ts',
  'test/admin.test.ts',
  'test/activities-api.test.ts',
  'test/activities-delivery.test.ts',
  'test/profile-scripts.test.ts',
  'test/artifact.test.ts',
  'test/datastreams.test.ts',
  'test/edge-http.test.ts',
  'test/lifetime.test.ts',
  'test/privacy.test.ts',
  'test/auth.test.ts',
  'test/cached-access.test.ts',
  'test/tenant-isolation.test.ts',
  'test/hostile.test.ts',
  'test/concurrency.test.ts',
  'test/server-limits.test.ts',
];

let postgres: TestPostgres;
before(async () => {
  postgres = await startPostgres();
});
after(() => postgres.stop());

function runTestFile(file: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=dot', file], {
      cwd: REPO_ROOT,
      // Without NODE_TEST_CONTEXT the child is a test run of its own, not a part of this one.
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, PROFILE_EDGE_TEST_POSTGRES_ADMIN_URL: postgres.adminUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

async function testDatabases(): Promise<number> {
  const client = new pg.Client({ connectionString: postgres.adminUrl });
  await client.connect();
  try {
    return Number((await client.query("SELECT count(*) AS n FROM pg_database WHERE datname LIKE 'pe_test_%'")).rows[0].n);
  } finally {
    await client.end();
  }
}

describe('HTTP test files on PostgreSQL', () => {
  for (const file of FILES) {
    test(`${file} passes with the server on PostgreSQL`, async () => {
      const before = await testDatabases();
      const { code, output } = await runTestFile(file);
      assert.equal(code, 0, output.slice(-8000));
      assert.doesNotMatch(output, /skipping running files/, 'the file really ran');
      assert.ok((await testDatabases()) > before, 'its servers ran on databases of this PostgreSQL');
    });
  }
});
