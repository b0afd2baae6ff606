import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import { migratePostgres, openPool, type PgPool } from '../../src/store/postgres/database.js';

/**
 * A throwaway PostgreSQL server for tests: initdb into a temporary directory, a free loopback
 * port, the machine's own binaries (never a server that happens to be running). As root,
 * PostgreSQL refuses to run, so the processes run as the `postgres` user.
 */
export interface TestPostgres {
  /** URL of the server's `postgres` database, for creating more databases (createDatabaseOn). */
  adminUrl: string;
  /** The postmaster's pid (benchmarks account the CPU of its process tree). */
  pid: number;
  /** Connection URL of a fresh, empty database. */
  createDatabase(): Promise<string>;
  /**
   * An outage: a fast shutdown (open sessions are terminated, new connections refused) that keeps
   * the data; `resume` starts the server again on the same port.
   */
  halt(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export function postgresBinDir(): string | null {
  if (process.env.PG_BIN && fs.existsSync(path.join(process.env.PG_BIN, 'initdb'))) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  if (fs.existsSync(root)) {
    const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')));
    versions.sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(root, versions[0], 'bin');
  }
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (fs.existsSync(path.join(dir, 'initdb'))) return dir;
  } catch {
    /* not installed */
  }
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL binaries not found: install the postgresql package (.ci/run does)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-pg-'));
  const user = runAs();
  if (user) fs.chownSync(dir, user.uid, user.gid);
  const dataDir = path.join(dir, 'data');
  execFileSync(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C'], {
    stdio: 'ignore',
    ...user,
  });
  const port = await freePort();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;

  /** Starts the postmaster on the data directory and port, and waits until it accepts connections. */
  const launch = async (): Promise<{ server: ChildProcess; exited: Promise<void> }> => {
    const server: ChildProcess = spawn(
      path.join(bin, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'max_connections=300',
        '-c',
        'shared_buffers=64MB',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], ...user },
    );
    let log = '';
    server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<void>((resolve) => server.on('exit', () => resolve()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client({ connectionString: adminUrl });
      try {
        await client.connect();
        await client.end();
        return { server, exited };
      } catch (error) {
        await client.end().catch(() => {});
        if (Date.now() > deadline || server.exitCode !== null)
          throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${log}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };

  let running: { server: ChildProcess; exited: Promise<void> } | null = await launch();
  const halt = async () => {
    const current = running;
    running = null;
    current?.server.kill('SIGINT');
    await current?.exited;
  };

  return {
    adminUrl,
    pid: running.server.pid!,
    createDatabase: () => createDatabaseOn(adminUrl),
    halt,
    async resume() {
      if (!running) running = await launch();
    },
    async stop() {
      await halt();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh, empty database on a throwaway server (unique name: several test processes share one server). */
export async function createDatabaseOn(adminUrl: string): Promise<string> {
  const name = `pe_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * For tests of several nodes on one database without server processes: registers before/after
 * hooks that start a throwaway server, create and migrate one database, and open `count` pools on
 * it, one per simulated node. The returned array is filled once the `before` hook has run.
 */
export function poolsOnOneDatabase(count: number, poolSize = 10): PgPool[] {
  let postgres: TestPostgres;
  const pools: PgPool[] = [];
  before(async () => {
    postgres = await startPostgres();
    const url = await postgres.createDatabase();
    for (let i = 0; i < count; i++) pools.push(openPool(url, poolSize));
    await migratePostgres(pools[0]!);
  });
  after(async () => {
    for (const pool of pools) await pool.end();
    await postgres.stop();
  });
  return pools;
}
