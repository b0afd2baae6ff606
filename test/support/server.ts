import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, type ConfigOverrides } from '../../src/config.js';
import type { Clock } from '../../src/domain/clock.js';
import { secretFromDataDir } from '../../src/cli/remote.js';
import type { ActivityLookup } from '../../src/features/reports/reports-service.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createDatabaseOn } from './postgres.js';

/** A real server on a loopback port with its own temporary data directory. */
export interface TestServer extends RunningServer {
  dataDir: string;
  adminKey: string;
  demoToken: string;
  /** Fetch relative to the server URL. */
  fetch(pathAndQuery: string, init?: RequestInit): Promise<Response>;
  /** Stops the server and deletes its data directory. */
  dispose(): Promise<void>;
}

export function tempDir(prefix = 'profile-edge-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** One database per data directory: a server restarted on a data dir finds its data again. */
const postgresDatabases = new Map<string, string>();

export async function startTestServer(
  options: { clock?: Clock; config?: ConfigOverrides; dataDir?: string; activities?: ActivityLookup } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir();
  // Set by test/postgres-http.test.ts, which starts a throwaway PostgreSQL and runs HTTP test files on it.
  const postgresAdminUrl = process.env.PROFILE_EDGE_TEST_POSTGRES_ADMIN_URL;
  let databaseUrl = postgresAdminUrl ? postgresDatabases.get(dataDir) : undefined;
  if (postgresAdminUrl && !databaseUrl) {
    databaseUrl = await createDatabaseOn(postgresAdminUrl);
    postgresDatabases.set(dataDir, databaseUrl);
  }
  const config = parseConfig({}, { port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', databaseUrl, ...options.config });
  const server = await startServer(config, { clock: options.clock, logger: false, activities: options.activities });
  const adminKey = options.config?.adminKey ?? secretFromDataDir(dataDir, 'ADMIN_KEY')!;
  const demoToken = secretFromDataDir(dataDir, 'DEMO_TOKEN')!;
  return {
    ...server,
    dataDir,
    adminKey,
    demoToken,
    fetch: (pathAndQuery, init) => fetch(server.url + pathAndQuery, init),
    async dispose() {
      await server.stop();
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** JSON admin call with the admin key. */
export async function admin(server: TestServer, method: string, pathAndQuery: string, body?: unknown): Promise<Response> {
  return server.fetch(pathAndQuery, {
    method,
    headers: { ...bearer(server.adminKey), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
