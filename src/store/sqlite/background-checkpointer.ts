import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from './database.js';

/**
 * Moves WAL checkpoints off the event loop.
 *
 * better-sqlite3 is synchronous, and by default SQLite checkpoints inside the commit that grows
 * the WAL past 1000 pages: copying pages back into the database file and two fsyncs, 10–30 ms on
 * a virtual disk, during which no request is served. Here a worker thread with its own connection
 * runs PASSIVE checkpoints every `intervalMs`; PASSIVE never blocks writers or readers, so the
 * fsyncs happen beside the traffic instead of in front of it.
 *
 * Durability is unchanged: commits still follow the `synchronous` setting; only who copies WAL
 * pages into the database file changes. Under sustained writes the worker never quite catches up
 * (frames keep arriving during each pass), and SQLite only rewinds a fully checkpointed WAL, so the
 * connection's own auto-checkpoint stays on as a backstop at `backstopPages`, where it finds most
 * pages already copied; `journal_size_limit` then shrinks the file back. If the worker fails, the
 * default auto-checkpoint is restored and the server carries on as before.
 */
export interface BackgroundCheckpointer {
  /** Stops the worker and closes its connection (before the main connection closes). */
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  intervalMs?: number;
  /** WAL size (pages) at which the writing connection checkpoints by itself. */
  backstopPages?: number;
  /** Size the WAL file is truncated to after it is rewound. */
  walSizeLimitBytes?: number;
  /** Told when the worker fails and checkpoints are back on the writing connection. */
  onError?: (err: Error) => void;
}

const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

// CommonJS source for the worker, so that it runs the same from src/ (tsx) and dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
let timer;
const pass = () => {
  db.pragma('wal_checkpoint(PASSIVE)');
  timer = setTimeout(pass, workerData.intervalMs);
};
timer = setTimeout(pass, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

export function startBackgroundCheckpointer(db: SqliteDatabase, options: CheckpointerOptions = {}): BackgroundCheckpointer {
  const backstopPages = options.backstopPages ?? 16_384;
  db.pragma(`journal_size_limit = ${options.walSizeLimitBytes ?? 64 * 1024 * 1024}`);
  db.pragma(`wal_autocheckpoint = ${backstopPages}`);

  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      file: db.name,
      intervalMs: options.intervalMs ?? 100,
    },
  });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', (err) => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
    options.onError?.(err);
  });

  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        worker.ref(); // keep the process alive until the worker has closed its connection
        worker.postMessage('stop');
        await exited;
        if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
      })();
      return stopping;
    },
  };
}
