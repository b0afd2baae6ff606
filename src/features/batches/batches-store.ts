import type { VisitorIdRef } from '../../domain/identity.js';
import type { BatchKeyColumn } from '../../wire/batch-reader.js';
import type { ProfileWrite } from '../profiles/profiles-store.js';
import type { PersonKeys } from './row-keys.js';

export type BatchStatus = 'incomplete' | 'complete' | 'stuck';
export type BatchApiVersion = 1 | 2;

/** What the upload stored: everything needed to process the body file from any point. */
export interface NewBatch {
  batchId: string;
  client: string;
  apiVersion: BatchApiVersion;
  keyColumn: BatchKeyColumn;
  attributes: string[];
  /** File name inside the data directory's batch folder. */
  bodyFile: string;
  bodyBytes: number;
  /** Data rows in the body (non-blank lines after the header). */
  batchSize: number;
  /** Byte offset and line number of the first data line. */
  firstOffset: number;
  firstLine: number;
  submittedAt: number;
}

export interface BatchCounters {
  consumedCount: number;
  successfulUpdates: number;
  profilesNotFound: number;
  failedUpdates: number;
}

export interface BatchRecord extends Omit<NewBatch, 'firstOffset' | 'firstLine'>, BatchCounters {
  status: BatchStatus;
  nextOffset: number;
  nextLine: number;
  stuckReason: string | null;
  finishedAt: number | null;
}

export interface FailedRow {
  line: number;
  /** The row's key, decoded; as sent when it could not be (a row that is not UTF-8, a key that does not decode). */
  key: string;
  reason: string;
}

/** One data row of a chunk: either already failed on reading, nothing to write, or a profile write. */
export type ChunkRow =
  | { kind: 'failed'; failure: FailedRow }
  | { kind: 'unchanged' }
  | { kind: 'write'; line: number; key: string; ref: VisitorIdRef; write: ProfileWrite };

/** A slice of a batch's body, applied as one atomic unit. */
export interface BatchChunk {
  batchId: string;
  client: string;
  /** Where this chunk starts: the store refuses a chunk that does not continue the stored cursor. */
  fromOffset: number;
  rows: ChunkRow[];
  /** The cursor after this chunk. */
  nextOffset: number;
  nextLine: number;
  /** True when this chunk ends the body: the batch becomes complete in the same unit. */
  last: boolean;
  now: number;
}

/** The chunk did not continue where the stored cursor is (another process moved it): nothing was applied. */
export class BatchCursorMovedError extends Error {}

export interface BatchesStore {
  create(batch: NewBatch): Promise<void>;
  /** A client's batch; another client's id answers null (batches never cross clients). */
  get(client: string, batchId: string): Promise<BatchRecord | null>;
  /** Every incomplete batch, oldest submission first. */
  unfinished(): Promise<BatchRecord[]>;
  /**
   * Applies every `write` row through planProfileWrite, records failed rows, adds to the counters
   * (tallyChunk) and moves the cursor — all or nothing. A row the write rules refuse (its profile
   * would pass 64 KB) fails alone and leaves its profile unchanged; an `apply` that throws fails
   * the whole chunk. Returns the batch as stored afterwards.
   */
  applyChunk(chunk: BatchChunk): Promise<BatchRecord>;
  /**
   * Back-pressure, awaited before each chunk: resolves when the store can take another one
   * without falling behind on its own housekeeping (the embedded store's WAL checkpoints).
   */
  ready?(): Promise<void>;
  /**
   * True when `applyChunk` mostly waits on a database server (PostgreSQL) rather than blocking
   * the event loop (SQLite): the processor then charges only its own work to a chunk's time budget.
   */
  readonly waitsOnServer?: boolean;
  markStuck(batchId: string, reason: string, now: number): Promise<void>;
  /** Failed rows with a line number after `afterLine`, in line order. */
  failures(batchId: string, afterLine: number, limit: number): Promise<FailedRow[]>;
  /** The status of any client's batch, null when unknown (clean-up of body files no batch needs). */
  statusOf(batchId: string): Promise<BatchStatus | null>;
  /**
   * Privacy (docs/wire-contract.md#10-privacy): the failed-row records of the client's batches
   * that name the person (failedRowNamesPerson, row-keys.ts) — a row of a pcId batch keyed by one
   * of its tntIds, with or without a location hint; a row of a thirdPartyId batch keyed by exactly
   * one of its thirdPartyIds — ordered by batch id and line.
   */
  failuresOfPerson(client: string, person: PersonKeys): Promise<KeyedFailedRow[]>;
  /** Privacy: deletes those records (the batch counters stay); returns how many. */
  forgetFailuresOfPerson(client: string, person: PersonKeys): Promise<number>;
  /**
   * Privacy: the client's batches whose body is kept — incomplete ones (still to be applied) and
   * stuck ones (kept for inspection) — oldest submission first.
   */
  withKeptBodies(client: string): Promise<BatchWithKeptBody[]>;
}

export interface BatchWithKeptBody {
  batchId: string;
  /** Where the body is stored (BatchBodies); a stuck batch's body may already be gone. */
  bodyFile: string;
  status: Exclude<BatchStatus, 'complete'>;
  /** What the body's row keys are: tntIds or thirdPartyIds. */
  keyColumn: BatchKeyColumn;
}

export interface KeyedFailedRow extends FailedRow {
  batchId: string;
}
