import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, type TestContext, test } from 'node:test';
import { type ServerProcess, startServerProcess } from '../bench/support/bulk-server.js';
import { type Ledger, MixedLoad, verifyLedger } from '../bench/support/mixed-load.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';
import { tempDir } from './support/server.js';

/**
 * SIGKILL at random moments under mixed load (bench/support/mixed-load.ts: single updates,
 * Delivery with profile parameters executing a live activity, click notifications, logins that
 * merge, batch uploads), on SQLite and on PostgreSQL, with one server process and with
 * `--workers 2` (where single workers are killed too, and replaced by the primary). After each
 * kill the server is started again on the same data, and more load follows; at the end every
 * acknowledged write of every round is there (a write in doubt — sent, never answered — may be
 * there or not), impressions lie between the acknowledged and those plus the ones in doubt, every
 * accepted batch completes with exact counters, and once every notification is sent again each is
 * counted exactly once. test/batch-crash.test.ts compares one big batch against an uninterrupted
 * run; test/activities-crash.test.ts a burst of display notifications.
 */
/** Kill rounds per configuration: 2 in `npm test`, 6 in `npm run faults`. */
const ROUNDS = process.env.TEST_FAULTS === 'long' ? 6 : 2;
const LOAD = { workers: 6, ratePerSecond: 150, batchRows: 400, profilesPerWorker: 10, timeoutMs: 10_000 };
const MIX = { update: 30, deliver: 30, notify: 20, merge: 5, batch: 5, fetch: 10 };

let postgres: TestPostgres;
before(async () => {
  postgres = await startPostgres();
});
after(() => postgres?.stop());

/** The primary's child processes (the cluster workers). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    const listed = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (listed) children.push(...listed.split(/\s+/).map(Number));
  }
  return children;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (low: number, high: number) => low + Math.random() * (high - low);

/** Kills the server and all of its processes at once, as a power cut or the OOM killer would. */
async function killAll(server: ServerProcess): Promise<void> {
  const pids = [server.child.pid!, ...childrenOf(server.child.pid!)];
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  await exited;
  // The workers of a killed primary go with their own SIGKILL; wait until they are gone.
  for (const pid of pids.slice(1)) {
    while (fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')) await sleep(20);
  }
}

async function crashRounds(t: TestContext, env: Record<string, string>, workers: number): Promise<void> {
  const dataDir = tempDir('profile-edge-crash-load-');
  const serverEnv = { ...env, PROFILE_EDGE_WORKERS: String(workers) };
  const ledgers: Ledger[] = [];
  let clickToken: string | undefined;
  let server = await startServerProcess(dataDir, serverEnv);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const load = new MixedLoad(
        { url: server.url, adminKey: server.adminKey, demoToken: server.demoToken },
        { ...LOAD, mix: MIX, runId: `r${round}`, clickToken },
      );
      await load.prepare();
      clickToken = load.ledger.clickToken;
      ledgers.push(load.ledger);
      load.start();
      if (workers > 1) {
        // One worker killed under load: the primary starts another, the load goes on.
        await sleep(between(300, 900));
        const victims = childrenOf(server.child.pid!);
        process.kill(victims[Math.floor(Math.random() * victims.length)]!, 'SIGKILL');
      }
      // A random moment once the load is well under way.
      while (load.acknowledged < 150) await sleep(20);
      await sleep(between(0, 1500));
      await killAll(server);
      await load.stop();
      t.diagnostic(
        `round ${round}: killed after ${load.acknowledged} acknowledged, ${load.failures.get(0) ?? 0} in flight (no answer)` +
          (workers > 1 ? ', one worker killed before' : ''),
      );
      for (const [status, count] of load.failures) {
        // No answer (the kill) is the only failure allowed; never a 500, never a refusal.
        assert.equal(status, 0, `round ${round}: ${count} answers ${status}\n${server.output().slice(-6000)}`);
      }
      server = await startServerProcess(dataDir, serverEnv);
    }
    const verdict = await verifyLedger({ url: server.url, adminKey: server.adminKey, demoToken: server.demoToken }, ledgers);
    assert.deepEqual(verdict.problems, []);
    t.diagnostic(`after the last restart: ${JSON.stringify(verdict.checked)}, all present, counters exact`);
    assert.ok(verdict.checked.batches > 0, JSON.stringify(verdict.checked));
    assert.ok(verdict.checked.merges > 0, JSON.stringify(verdict.checked));
    assert.ok(verdict.checked.notifications > 0, JSON.stringify(verdict.checked));
    assert.ok(verdict.checked.impressions > 0, JSON.stringify(verdict.checked));
  } finally {
    await killAll(server).catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('SIGKILL at random moments under mixed load, restarted on the same data', () => {
  test('SQLite, one process', (t) => crashRounds(t, {}, 1));
  test('SQLite, --workers 2 (workers killed one at a time too)', (t) => crashRounds(t, {}, 2));
  test('PostgreSQL, one process', async (t) => crashRounds(t, { PROFILE_EDGE_DATABASE_URL: await postgres.createDatabase() }, 1));
  test('PostgreSQL, --workers 2 (workers killed one at a time too)', async (t) =>
    crashRounds(t, { PROFILE_EDGE_DATABASE_URL: await postgres.createDatabase() }, 2));
});
