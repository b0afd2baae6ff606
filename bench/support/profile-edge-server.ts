import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { secretFromDataDir } from '../../src/cli/remote.js';
import { freePort, type ServerProcess, spawnServer } from './processes.js';

/** A real `profile-edge serve` in a child process, on a fresh data directory. */
export interface ProfileEdgeProcess extends ServerProcess {
  dataDir: string;
  adminKey: string;
  demoToken: string;
  /** Stops the server, then deletes its data directory. */
  dispose(): Promise<void>;
}

export interface StartProfileEdgeOptions {
  /** Extra PROFILE_EDGE_* variables (the defaults are the production defaults). */
  env?: Record<string, string>;
  /** Extra node flags for the server, e.g. from BENCH_SERVER_NODE_FLAGS="--cpu-prof". */
  nodeFlags?: string[];
}

/** Node flags for the server under test, from `BENCH_SERVER_NODE_FLAGS` (space separated). */
export function serverNodeFlagsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.BENCH_SERVER_NODE_FLAGS ?? '').split(/\s+/).filter((flag) => flag !== '');
}

/**
 * Starts `profile-edge serve` exactly as an operator would (the CLI entry, default settings),
 * except for the port and a temporary data directory. First start creates the `demo` client and
 * writes the admin key and the demo token to the data directory, where they are read back.
 */
export async function startProfileEdge(options: StartProfileEdgeOptions = {}): Promise<ProfileEdgeProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-bench-'));
  const port = await freePort();
  let server: ServerProcess;
  try {
    server = await spawnServer({
      script: 'src/main.ts',
      args: ['serve'],
      env: {
        PROFILE_EDGE_PORT: String(port),
        PROFILE_EDGE_HOST: '127.0.0.1',
        PROFILE_EDGE_DATA_DIR: dataDir,
        ...options.env,
      },
      port,
      readyPath: '/healthz',
      nodeFlags: options.nodeFlags ?? serverNodeFlagsFromEnv(),
    });
  } catch (err) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const adminKey = options.env?.PROFILE_EDGE_ADMIN_KEY ?? secretFromDataDir(dataDir, 'ADMIN_KEY');
  const demoToken = secretFromDataDir(dataDir, 'DEMO_TOKEN');
  if (!adminKey || !demoToken) {
    await server.stop();
    throw new Error(`first start did not write the admin key and demo token to ${dataDir}`);
  }
  return {
    ...server,
    dataDir,
    adminKey,
    demoToken,
    async dispose() {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One admin JSON call; anything but 2xx throws with the server's answer. */
export async function adminCall(server: ProfileEdgeProcess, method: string, urlPath: string, body?: unknown): Promise<unknown> {
  const response = await fetch(server.url + urlPath, {
    method,
    headers: {
      authorization: `Bearer ${server.adminKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${urlPath} → ${response.status}: ${text.slice(0, 300)}`);
  return text === '' ? undefined : JSON.parse(text);
}

/**
 * Creates one profile per tntId through the admin API, `concurrency` calls at a time.
 * Returns the elapsed milliseconds.
 */
export async function seedProfiles(
  server: ProfileEdgeProcess,
  client: string,
  tntIds: readonly string[],
  attributesOf: (tntId: string, index: number) => Record<string, string>,
  concurrency = 32,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < tntIds.length) {
      const index = next++;
      const tntId = tntIds[index]!;
      await adminCall(server, 'POST', `/admin/v1/clients/${client}/profiles`, { tntId, attributes: attributesOf(tntId, index) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tntIds.length) }, worker));
  return performance.now() - started;
}
