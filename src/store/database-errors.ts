import Database from 'better-sqlite3';
import pg from 'pg';
import { type AppError, BadRequestError, ConflictError, InsufficientStorageError, ServiceUnavailableError } from '../errors.js';

/**
 * The one reading of database errors, for both stores. A store lets driver errors through
 * unchanged; this module says what they mean:
 *
 * - `conflict`: a value that must be unique is taken (a writer won a race) → 409;
 * - `unstorable_text`: text the database cannot hold (PostgreSQL refuses NUL in text) → 400;
 * - `unavailable`: the database cannot be reached right now (connection refused, reset or
 *   lost, server shutting down or starting, pool exhausted, lock or serialization contention
 *   that outlasted the retries, SQLite's write lock held past busy_timeout) → 503 with the seconds
 *   to wait. Nothing was written: the statement failed or its transaction rolled back.
 * - `disk_full`: no space left for the write (SQLite's file or WAL, a batch body file, or the
 *   PostgreSQL server's disk) → 507. Nothing was written either; the same write succeeds once
 *   space is freed. `where` says whose disk: this server's data directory (`local`, which
 *   /healthz watches) or the database server's (`database`).
 *
 * The HTTP side applies it in one place (the central error handler), with a masked message: no
 * SQL, table or constraint name reaches a client. Background jobs (batch processor, lifetime
 * sweep) ask `isTransientDatabaseError` to wait out an outage or a full disk instead of treating
 * it as a fault of the work.
 * Anything not listed here is a real fault, answered as a bare 500.
 */
export type DatabaseFailure =
  | { kind: 'conflict' }
  | { kind: 'unstorable_text' }
  | { kind: 'unavailable'; retryAfterSeconds: number; reason: 'unreachable' | 'busy' }
  | { kind: 'disk_full'; where: 'local' | 'database' };

/** A lost or refused database: reconnecting takes about this long (PostgreSQL restart, failover). */
export const UNREACHABLE_RETRY_AFTER_SECONDS = 5;
/** Contention (SQLite's write lock, PostgreSQL serialization): the next try usually succeeds. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

const UNREACHABLE: DatabaseFailure = { kind: 'unavailable', retryAfterSeconds: UNREACHABLE_RETRY_AFTER_SECONDS, reason: 'unreachable' };
const BUSY: DatabaseFailure = { kind: 'unavailable', retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS, reason: 'busy' };
const LOCAL_DISK_FULL: DatabaseFailure = { kind: 'disk_full', where: 'local' };

/** The message of every 507: what happened, that nothing was stored, and when to try again. */
export const DISK_FULL_MESSAGE = 'The server is out of disk space: nothing was stored; retry once space has been freed';

// SQLSTATEs (PostgreSQL appendix A). Class 08 is "connection exception".
const PG_UNIQUE_VIOLATION = '23505';
const PG_UNSTORABLE_TEXT = new Set([
  '22021', // character_not_in_repertoire: "invalid byte sequence for encoding UTF8: 0x00"
  '22P05', // untranslatable_character: \u0000 in a json/jsonb value
]);
const PG_UNREACHABLE = new Set([
  '57P01', // admin_shutdown: the server is stopping (fast shutdown, pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
]);
const PG_DISK_FULL = '53100'; // disk_full: the database server's disk
const PG_BUSY = new Set([
  '40001', // serialization_failure, after inTransaction's retries
  '40P01', // deadlock_detected, likewise
  '55P03', // lock_not_available
]);

// Socket-level failures of a database connection (node:net, DNS).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// No space on the file system: a write, an fsync (delayed allocation) or a quota.
const NO_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT']);

/**
 * pg-pool: no pooled connection became free within its wait (connecting has its own bound, see
 * openPool). Every connection is busy serving others: load, not an outage, so "retry in 1 second".
 */
const PG_POOL_WAIT_MESSAGE = 'timeout exceeded when trying to connect';

// node-postgres raises these as plain Errors without a code.
const PG_CONNECTION_MESSAGES = [
  /^Connection terminated\b/, // "… unexpectedly", "… due to connection timeout"
  /^timeout expired$/, // pg: the connection was not opened within connectionTimeoutMillis
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/, // the server is stopping
  /^Query read timeout$/,
];

const SQLITE_CONFLICT = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);
// SQLITE_FULL: a write to the database file or the WAL met ENOSPC (SQLite rolls the transaction
// back). SQLITE_IOERR_SHMSIZE: the WAL index could not grow, for the same reason.
const SQLITE_DISK_FULL = new Set(['SQLITE_FULL', 'SQLITE_IOERR_SHMSIZE']);

/** What a database error means, or null when it is none of the known failures (a real fault). */
export function classifyDatabaseError(error: unknown): DatabaseFailure | null {
  if (!(error instanceof Error)) return null;
  if (error instanceof Database.SqliteError) {
    if (SQLITE_CONFLICT.has(error.code)) return { kind: 'conflict' };
    if (SQLITE_DISK_FULL.has(error.code)) return LOCAL_DISK_FULL;
    if (error.code.startsWith('SQLITE_BUSY') || error.code.startsWith('SQLITE_LOCKED')) return BUSY;
    return null;
  }
  if (error instanceof pg.DatabaseError) {
    const state = error.code ?? '';
    if (state === PG_UNIQUE_VIOLATION) return { kind: 'conflict' };
    if (PG_UNSTORABLE_TEXT.has(state)) return { kind: 'unstorable_text' };
    if (state === PG_DISK_FULL) return { kind: 'disk_full', where: 'database' };
    if (state.startsWith('08') || PG_UNREACHABLE.has(state)) return UNREACHABLE;
    if (PG_BUSY.has(state)) return BUSY;
    return null;
  }
  // Several addresses tried (localhost as ::1 and 127.0.0.1), each refused.
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.every((inner) => classifyDatabaseError(inner)?.kind === 'unavailable') ? UNREACHABLE : null;
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return UNREACHABLE;
  if (typeof code === 'string' && NO_SPACE_CODES.has(code)) return LOCAL_DISK_FULL;
  if (code === undefined && error.message === PG_POOL_WAIT_MESSAGE) return BUSY;
  if (code === undefined && PG_CONNECTION_MESSAGES.some((pattern) => pattern.test(error.message))) return UNREACHABLE;
  return null;
}

/** A unique (or primary) key refused the write: another writer holds the value. */
export function isUniqueViolation(error: unknown): boolean {
  return classifyDatabaseError(error)?.kind === 'conflict';
}

/**
 * The database is out of reach or busy for now, or the disk is full: wait and try again, it is not
 * a fault of the work.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  const kind = classifyDatabaseError(error)?.kind;
  return kind === 'unavailable' || kind === 'disk_full';
}

/** No space left in this server's data directory (SQLite, batch body files): what /healthz watches. */
export function isLocalDiskFull(error: unknown): boolean {
  const failure = classifyDatabaseError(error);
  return failure?.kind === 'disk_full' && failure.where === 'local';
}

/**
 * The answer a client gets for a database error, with a message that names no SQL, table or
 * constraint; null when the error is not a known database failure.
 */
export function databaseErrorAsAppError(error: unknown): AppError | null {
  const failure = classifyDatabaseError(error);
  switch (failure?.kind) {
    case undefined:
      return null;
    case 'conflict':
      return new ConflictError('The request conflicts with data stored meanwhile: a value that must be unique is taken', 'conflict');
    case 'unstorable_text':
      return new BadRequestError('The request holds text that cannot be stored (a NUL character)', 'unstorable_text');
    case 'disk_full':
      return new InsufficientStorageError(DISK_FULL_MESSAGE);
    case 'unavailable':
      return failure.reason === 'busy'
        ? new ServiceUnavailableError(
            `The database is busy; retry in ${failure.retryAfterSeconds} second${failure.retryAfterSeconds === 1 ? '' : 's'}`,
            failure.retryAfterSeconds,
            'database_busy',
          )
        : new ServiceUnavailableError(
            `The database is unavailable; retry in ${failure.retryAfterSeconds} seconds`,
            failure.retryAfterSeconds,
            'database_unavailable',
          );
  }
}
