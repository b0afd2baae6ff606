import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from './database.js';

/** Slots of the shared state (Int32). */
const WAKE = 0; // bumped by the main thread after a write: look now
const STOP = 1;
const LOG = 2; // frames in the WAL after the last checkpoint run
const BACKFILLED = 3; // of those, frames copied into the database file
const DONE = 4; // the WAKE value seen when the last finished run started
const SLOTS = 5;

/**
 * The worker: a plain synchronous loop on its own connection, so it needs no loader (it runs
 * as-is under tsx and from dist/). PASSIVE never takes the write lock and never waits for
 * readers or writers: the main connection keeps reading and writing while pages are copied.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.betterSqlite3);
const state = new Int32Array(workerData.shared);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('wal_autocheckpoint = 0');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
let lastBackfilled = -1;
try {
  while (Atomics.load(state, ${STOP}) === 0) {
    const seen = Atomics.load(state, ${WAKE});
    let row;
    try { row = checkpoint.get(); } catch { row = undefined; }
    if (row && row.log >= 0) {
      Atomics.store(state, ${LOG}, row.log);
      Atomics.store(state, ${BACKFILLED}, row.checkpointed);
    }
    Atomics.store(state, ${DONE}, seen);
    // Frames appended during this run: go again at once. Otherwise (nothing left, another
    // checkpointer busy, or a reader pinning old frames) sleep until woken.
    const behind = row && row.busy === 0 && row.checkpointed < row.log && row.checkpointed !== lastBackfilled;
    lastBackfilled = row ? row.checkpointed : -1;
    if (!behind) Atomics.wait(state, ${WAKE}, seen, workerData.idleMs);
  }
} finally {
  db.close();
}
`;

export interface WalCheckpointerOptions {
  /** Sleep between checks when nothing was written (writes wake the worker early). */
  idleMs: number;
  /** Wake the worker after this much bulk write time (`wrote()`). */
  wakeEveryMs: number;
  /** After this much bulk write time, `caughtUp()` waits until the WAL is fully copied back. */
  catchUpEveryMs: number;
  /**
   * The main connection's own autocheckpoint threshold: only a safety net for when the worker
   * cannot keep up (it copies in the main thread, blocking it), so well above `maxBehindFrames`.
   */
  safetyNetFrames: number;
  /** Longest `caughtUp()` wait. */
  maxWaitMs: number;
}

export const DEFAULT_CHECKPOINTER_OPTIONS: WalCheckpointerOptions = {
  idleMs: 100,
  wakeEveryMs: 25,
  catchUpEveryMs: 100,
  safetyNetFrames: 16384,
  maxWaitMs: 2000,
};

/**
 * Moves WAL checkpoints off the main thread. SQLite's automatic checkpoint runs inside the commit
 * that crosses the threshold, copying pages and fsyncing the database file on the event loop
 * (tens of ms every few bulk chunks); here a worker thread with its own connection does that
 * work beside the main connection. Bulk writers call `caughtUp()` between transactions so the
 * WAL is fully copied back now and then and can restart from its beginning instead of growing.
 */
export class WalCheckpointer {
  private readonly state: Int32Array;
  private readonly worker: Worker;
  private closed = false;
  private writeMs = 0;
  private sinceWakeMs = 0;

  private constructor(
    private readonly db: SqliteDatabase,
    private readonly options: WalCheckpointerOptions,
  ) {
    const shared = new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
    this.state = new Int32Array(shared);
    const require = createRequire(import.meta.url);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { shared, file: db.name, betterSqlite3: require.resolve('better-sqlite3'), idleMs: options.idleMs },
      // Plain CommonJS: no need for the parent's loaders.
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    this.worker.unref();
    this.worker.on('error', () => {
      // The safety net (the main connection's own autocheckpoint) takes over.
      this.closed = true;
      if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${DEFAULT_SQLITE_AUTOCHECKPOINT}`);
    });
    db.pragma(`wal_autocheckpoint = ${options.safetyNetFrames}`);
  }

  static start(db: SqliteDatabase, options: WalCheckpointerOptions = DEFAULT_CHECKPOINTER_OPTIONS): WalCheckpointer {
    return new WalCheckpointer(db, options);
  }

  /** Something was written: check the WAL now rather than after the idle sleep. Returns the wake number. */
  wake(): number {
    const wake = Atomics.add(this.state, WAKE, 1) + 1;
    Atomics.notify(this.state, WAKE);
    return wake;
  }

  /**
   * A bulk writer spent `ms` in a write transaction (a rough measure of WAL growth). The worker is
   * woken after every `wakeEveryMs` of writing, not after every transaction: each checkpoint
   * syncs the WAL and the database file, and copies the pages every transaction rewrites (the
   * right edges of the B-trees) once per checkpoint.
   */
  wrote(ms: number): void {
    this.writeMs += ms;
    this.sinceWakeMs += ms;
    if (this.sinceWakeMs >= this.options.wakeEveryMs) {
      this.sinceWakeMs = 0;
      this.wake();
    }
  }

  /**
   * Resolves at once unless bulk writers wrote for more than `catchUpEveryMs` since the last
   * catch-up; then waits (without blocking the event loop) until a checkpoint that started after
   * the last write has copied the whole WAL back, so that the next write restarts the WAL from its
   * beginning instead of growing it.
   */
  async caughtUp(): Promise<void> {
    if (this.closed || this.writeMs < this.options.catchUpEveryMs) return;
    this.writeMs = 0;
    // Bounded: under a steady stream of other writes, or with a reader pinning old frames, the
    // WAL may not be fully copied back for a while; the safety net then limits its size.
    const deadline = performance.now() + this.options.maxWaitMs;
    let wake = this.wake();
    while (!this.closed && performance.now() < deadline) {
      if (Atomics.load(this.state, DONE) >= wake) {
        if (Atomics.load(this.state, LOG) === Atomics.load(this.state, BACKFILLED)) return;
        wake = this.wake();
      }
      await sleep(1);
    }
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.state, STOP, 1);
    Atomics.add(this.state, WAKE, 1);
    Atomics.notify(this.state, WAKE);
    await new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      this.worker.ref();
    });
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${DEFAULT_SQLITE_AUTOCHECKPOINT}`);
  }
}

/** SQLite's default `wal_autocheckpoint`. */
export const DEFAULT_SQLITE_AUTOCHECKPOINT = 1000;
