import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { secretFromDataDir } from '../src/cli/remote.js';
import { type ServerProcess, spawnServer } from './support/process.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';
import { tempDir } from './support/server.js';

/**
 * The bulk API rate limit is one budget per client, whichever process answers: the window lives in
 * the database, not in each process's memory. With a per-process window, 8 calls spread over two
 * processes would get 3 accepted by each (6 in all).
 */
const LIMIT = 3;
const CALLS = 8;

let postgres: TestPostgres;
const work = tempDir('profile-edge-rate-');
before(async () => {
  postgres = await startPostgres();
});
after(async () => {
  await postgres.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

let started = 0;
async function startServer(env: Record<string, string>): Promise<{ server: ServerProcess; dataDir: string }> {
  const dataDir = path.join(work, `server-${++started}`);
  fs.mkdirSync(dataDir);
  const server = await spawnServer(dataDir, {
    PROFILE_EDGE_BULK_RATE_LIMIT_PER_MINUTE: String(LIMIT),
    PROFILE_EDGE_ACCESS_LOG: 'true', // which process answered each call
    ...env,
  });
  return { server, dataDir };
}

async function stop(server: ServerProcess): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGTERM');
  await server.exited;
}

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

/** One batch upload on a connection of its own (no keep-alive agent), so calls spread over the workers. */
function uploadOnFreshConnection(baseUrl: string, token: string): Promise<Answer> {
  const body = 'batch=pcId,a\nrate-visitor,1\n';
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${baseUrl}/m2/demo/v2/profile/batchUpdate`,
      {
        method: 'POST',
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'text/plain',
          'content-length': Buffer.byteLength(body),
          connection: 'close',
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode!,
            retryAfter: response.headers['retry-after'] as string | undefined,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Process ids that logged an incoming batch upload. */
function uploadPids(server: ServerProcess): Set<string> {
  return new Set(
    [...server.output().matchAll(/"pid":(\d+)[^\n]*"msg":"incoming request"/g)]
      .filter((m) => m[0].includes('batchUpdate'))
      .map((m) => m[1]!),
  );
}

async function untilWorkersListen(server: ServerProcess, workers: number): Promise<void> {
  const listening = () => new Set([...server.output().matchAll(/"pid":(\d+)[^\n]*Server listening/g)].map((m) => m[1])).size;
  for (let i = 0; i < 200 && listening() < workers; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(listening(), workers, `${workers} worker processes listen`);
}

/** Exactly LIMIT calls accepted in all; every other one is Target's 503 with the seconds to wait. */
function assertOneBudget(answers: Answer[]): void {
  assert.deepEqual(
    answers.map((a) => a.status),
    [...Array<number>(LIMIT).fill(200), ...Array<number>(CALLS - LIMIT).fill(503)],
  );
  for (const refused of answers.slice(LIMIT)) {
    const seconds = Number(refused.retryAfter);
    assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60, `Retry-After ${refused.retryAfter}`);
    assert.equal(
      refused.body,
      `<response><success>false</success><message>Too many bulk API calls for client demo: the limit is ${LIMIT} per minute; retry in ${seconds} seconds</message></response>`,
    );
  }
}

describe('the bulk API rate limit is shared by every process on the database', () => {
  test('SQLite, serve --workers 2: 8 uploads over fresh connections reach both workers, 3 are accepted in all', async () => {
    const { server, dataDir } = await startServer({ PROFILE_EDGE_WORKERS: '2' });
    try {
      await untilWorkersListen(server, 2);
      const token = secretFromDataDir(dataDir, 'DEMO_TOKEN')!;
      const answers: Answer[] = [];
      for (let i = 0; i < CALLS; i++) answers.push(await uploadOnFreshConnection(server.url, token));
      assert.equal(uploadPids(server).size, 2, 'both workers received uploads');
      assertOneBudget(answers);
    } finally {
      await stop(server);
    }
  });

  test('PostgreSQL, two nodes on one database: 8 uploads alternating between them, 3 are accepted in all', async () => {
    const databaseUrl = await postgres.createDatabase();
    const a = await startServer({ PROFILE_EDGE_DATABASE_URL: databaseUrl });
    const b = await startServer({ PROFILE_EDGE_DATABASE_URL: databaseUrl });
    try {
      const token = secretFromDataDir(a.dataDir, 'DEMO_TOKEN')!; // the first node created the demo client
      const answers: Answer[] = [];
      for (let i = 0; i < CALLS; i++) answers.push(await uploadOnFreshConnection((i % 2 === 0 ? a : b).server.url, token));
      assert.equal(uploadPids(a.server).size + uploadPids(b.server).size, 2, 'both nodes received uploads');
      assertOneBudget(answers);
    } finally {
      await stop(a.server);
      await stop(b.server);
    }
  });
});
