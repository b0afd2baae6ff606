import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import type { Limits } from '../../config.js';
import type { Clock } from '../../domain/clock.js';
import { isLocalDiskFull, isTransientDatabaseError } from '../../store/database-errors.js';
import type { DiskSpace } from '../../store/disk-space.js';
import { LineSplitter, readDataLine, type SplitLine } from '../../wire/batch-reader.js';
import type { ClientsService } from '../clients/clients-service.js';
import type { ProfilesService } from '../profiles/profiles-service.js';
import type { BatchBodies, BodyHandle } from './batch-bodies.js';
import { BatchBodyUnusableError } from './batch-files.js';
import { planRow } from './batch-rows.js';
import { type BatchChunk, BatchCursorMovedError, type BatchesStore, type BatchRecord, type ChunkRow } from './batches-store.js';

export interface BatchProcessorOptions {
  /**
   * Time budget of one chunk: reading, planning and applying it (one transaction) blocks the
   * event loop for about this long. The row count of the next chunk follows from the measured
   * cost per row of the earlier ones.
   */
  chunkMs: number;
  /** Rows of the first chunk of a run, and the least any chunk takes. */
  minChunkRows: number;
  /** The most data rows per chunk, whatever the budget allows. */
  chunkRows: number;
  /** Upper bound on the body bytes of one chunk (rows with long values). */
  chunkBytes: number;
  /** Bytes read from the body file at a time. */
  readBytes: number;
  /** Unexpected failures in a row at the same cursor before the batch is marked stuck. */
  maxAttempts: number;
  /**
   * When idle, look for work this often even without a wake-up: with several processes on one
   * database, a batch whose process died (its lease ran out) is only found by looking.
   */
  idlePollMs: number;
}

export const DEFAULT_PROCESSOR_OPTIONS: BatchProcessorOptions = {
  chunkMs: 5,
  minChunkRows: 50,
  chunkRows: 5000,
  chunkBytes: 1024 * 1024,
  readBytes: 1024 * 1024,
  maxAttempts: 3,
  idlePollMs: 1000,
};

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Longest wait between two tries while the database is out of reach. */
const BACKOFF_MAX_MS = 5_000;

/** A body file open at the batch's cursor. Kept between chunks so the file is read once. */
class BodyReader {
  private readonly splitter: LineSplitter;
  private position: number;
  private eof = false;

  constructor(
    private readonly handle: BodyHandle,
    offset: number,
    line: number,
    private readonly readBytes: number,
  ) {
    this.splitter = new LineSplitter(offset, line);
    this.position = offset;
  }

  /** Where the next line starts (the stored cursor once the last chunk committed). */
  cursor = 0;

  /** The next complete line, or null: then `atEnd`, or `fill()` must run first. */
  next(): SplitLine | null {
    return this.splitter.next();
  }

  get atEnd(): boolean {
    return this.eof && this.splitter.pendingBytes === 0;
  }

  async fill(): Promise<void> {
    const buffer = Buffer.allocUnsafe(this.readBytes);
    const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.position);
    if (bytesRead === 0) {
      this.eof = true;
      this.splitter.end();
      return;
    }
    this.position += bytesRead;
    this.splitter.push(buffer.subarray(0, bytesRead));
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

/**
 * Applies accepted batches in the background, one chunk (one transaction) at a time, yielding to
 * the event loop between chunks so that delivery, update and fetch traffic keeps flowing. The
 * batches of one client run in submission order; different clients take turns chunk by chunk.
 * All progress lives in the store, so a restart simply continues from the stored cursors.
 */
export class BatchProcessor {
  private readonly readers = new Map<string, BodyReader>();
  private readonly attempts = new Map<string, number>();
  /** Smoothed event-loop time per row of recent chunks, in ms (sizes the next chunk). */
  private msPerRow = 0;
  private running: Promise<void> | null = null;
  private stopping = false;
  private wakeRequested = false;
  private wakeUp: (() => void) | null = null;
  /** Consecutive failed tries to list or apply (sizes the next backoff). */
  private failedTries = 0;

  constructor(
    private readonly store: BatchesStore,
    private readonly files: BatchBodies,
    private readonly clients: ClientsService,
    private readonly profiles: ProfilesService,
    private readonly clock: Clock,
    private readonly limits: Limits,
    private readonly log: Logger,
    private readonly options: BatchProcessorOptions = DEFAULT_PROCESSOR_OPTIONS,
    /** Told of a full disk met by a chunk (for /healthz). */
    private readonly disk?: DiskSpace,
  ) {}

  /** Removes leftovers of earlier runs, then resumes unfinished batches in the background. */
  async start(): Promise<void> {
    if (this.running) return;
    await this.removeLeftoverFiles();
    this.running = this.loop().catch((err: unknown) => this.log.error({ err }, 'batch processor stopped on an unexpected error'));
  }

  /** A batch was accepted: look for work now. */
  wake(): void {
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  /** Finishes the chunk in progress and stops; unfinished batches resume at the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
    for (const reader of this.readers.values()) await reader.close();
    this.readers.clear();
  }

  private async loop(): Promise<void> {
    // The batches being worked on, as stored after their last chunk. They are listed again from
    // the store only when that can change the picture: a batch was accepted, one finished, got
    // stuck or failed, or another process moved its cursor.
    let heads: BatchRecord[] = [];
    let listedAt = 0;
    while (!this.stopping) {
      // Also listed again every idlePollMs: on a shared database that renews this process's
      // leases and takes over batches whose process died.
      if (heads.length === 0 || this.wakeRequested || performance.now() - listedAt > this.options.idlePollMs) {
        this.wakeRequested = false;
        listedAt = performance.now();
        const unfinished = await this.listUnfinished();
        if (unfinished === null) {
          await this.backOff();
          continue;
        }
        heads = oldestPerClient(unfinished);
        if (heads.length === 0) {
          if (!this.wakeRequested) await this.idle();
          this.wakeUp = null;
          continue;
        }
      }
      const next: BatchRecord[] = [];
      let relist = false;
      for (const batch of heads) {
        if (this.stopping) break;
        const after = await this.step(batch);
        if (after?.status === 'incomplete') next.push(after);
        else relist = true;
        await yieldToEventLoop();
      }
      heads = relist ? [] : next;
    }
  }

  /**
   * The unfinished batches, or null when the store could not be read (logged): the loop looks
   * again after a backoff rather than stopping, so a database outage does not end the processor.
   */
  private async listUnfinished(): Promise<BatchRecord[] | null> {
    try {
      const unfinished = await this.store.unfinished();
      this.failedTries = 0;
      return unfinished;
    } catch (err) {
      if (isTransientDatabaseError(err)) this.log.warn({ err }, 'batch processor: the database is out of reach, batches wait');
      else this.log.error({ err }, 'batch processor: listing unfinished batches failed');
      return null;
    }
  }

  /** Waits before the next try after a failed one: 100 ms, doubled up to 5 s; a wake-up or stop ends it. */
  private async backOff(): Promise<void> {
    const ms = Math.min(BACKOFF_MAX_MS, 100 * 2 ** this.failedTries++);
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.wakeUp = null;
  }

  private async idle(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      timer = setTimeout(resolve, this.options.idlePollMs);
    });
    clearTimeout(timer);
  }

  /**
   * Applies the next chunk of one batch and returns the batch as stored afterwards, or null when
   * the chunk was not applied. Never throws: problems end up in the log or as `stuck`.
   */
  private async step(batch: BatchRecord): Promise<BatchRecord | null> {
    try {
      const reader = await this.readerFor(batch);
      const { chunk, busyMs, lines } = await this.readChunk(batch, reader);
      // Planned first, so that reading and planning overlap the store's housekeeping.
      await this.store.ready?.();
      const started = performance.now();
      const after = await this.store.applyChunk(chunk);
      // A store that waits on a database server does not block the event loop meanwhile.
      this.measured(busyMs + (this.store.waitsOnServer ? 0 : performance.now() - started), lines);
      reader.cursor = chunk.nextOffset;
      this.attempts.delete(batch.batchId);
      this.failedTries = 0;
      if (after.status === 'complete') await this.finish(after);
      return after;
    } catch (err) {
      await this.dropReader(batch.batchId);
      if (err instanceof BatchBodyUnusableError) {
        await this.markStuck(batch, err.message);
      } else if (err instanceof BatchCursorMovedError) {
        // Another process advanced this batch: re-read the stored cursor on the next round.
      } else if (isTransientDatabaseError(err)) {
        // An outage or a full disk is no fault of the batch: it never counts towards `stuck`; the
        // chunk rolled back and is applied again once the database answers and has space.
        this.disk?.noteFailure(err);
        const why = isLocalDiskFull(err) ? 'the disk is full' : 'the database is out of reach';
        this.log.warn({ err, batchId: batch.batchId }, `batch chunk waits: ${why}`);
        await this.backOff();
      } else {
        const attempts = (this.attempts.get(batch.batchId) ?? 0) + 1;
        this.attempts.set(batch.batchId, attempts);
        this.log.error({ err, batchId: batch.batchId, attempts }, 'batch chunk failed');
        if (attempts >= this.options.maxAttempts) {
          await this.markStuck(batch, 'the batch could not be applied after repeated internal errors (see the server log)');
        } else {
          await sleep(100 * 2 ** attempts);
        }
      }
      return null;
    }
  }

  private async readerFor(batch: BatchRecord): Promise<BodyReader> {
    const open = this.readers.get(batch.batchId);
    if (open && open.cursor === batch.nextOffset) return open;
    if (open) await this.dropReader(batch.batchId);
    const handle = await this.files.openBody(batch.bodyFile, batch.bodyBytes);
    const reader = new BodyReader(handle, batch.nextOffset, batch.nextLine, this.options.readBytes);
    reader.cursor = batch.nextOffset;
    this.readers.set(batch.batchId, reader);
    return reader;
  }

  private measured(ms: number, lines: number): void {
    if (lines === 0) return;
    const perRow = ms / lines;
    this.msPerRow = this.msPerRow === 0 ? perRow : this.msPerRow * 0.7 + perRow * 0.3;
  }

  /** Rows the next chunk may take to stay within the time budget. */
  private chunkRows(): number {
    const { chunkMs, minChunkRows, chunkRows } = this.options;
    if (this.msPerRow === 0) return minChunkRows;
    return Math.max(minChunkRows, Math.min(chunkRows, Math.floor(chunkMs / this.msPerRow)));
  }

  /** The next chunk, and the event-loop time spent reading and planning it (file reads excluded). */
  private async readChunk(batch: BatchRecord, reader: BodyReader): Promise<{ chunk: BatchChunk; busyMs: number; lines: number }> {
    const client = await this.clients.find(batch.client);
    if (!client) throw new BatchBodyUnusableError(`client ${batch.client} no longer exists`);
    const now = this.clock.now();
    const create = batch.apiVersion === 2;
    const context = {
      header: { keyColumn: batch.keyColumn, attributes: batch.attributes },
      limits: this.limits,
      profileWrite: (writes: Parameters<ProfilesService['profileWrite']>[1]) => this.profiles.profileWrite(client, writes, create, now),
    };
    const rows: ChunkRow[] = [];
    let nextOffset = batch.nextOffset;
    let nextLine = batch.nextLine;
    let bytes = 0;
    let lines = 0;
    const maxRows = this.chunkRows();
    let busyMs = 0;
    let since = performance.now();
    while (rows.length < maxRows && bytes < this.options.chunkBytes) {
      const line = reader.next();
      if (!line) {
        if (reader.atEnd) break;
        busyMs += performance.now() - since;
        await reader.fill();
        since = performance.now();
        continue;
      }
      lines++;
      nextOffset = line.nextOffset;
      nextLine = line.number + 1;
      bytes += line.bytes.length;
      const row = readDataLine(line.bytes, batch.attributes.length);
      if (row.kind !== 'blank') rows.push(planRow(row, line.number, context));
    }
    if (nextOffset > batch.bodyBytes) throw new BatchBodyUnusableError('the stored batch body changed while it was read');
    busyMs += performance.now() - since;
    const chunk = {
      batchId: batch.batchId,
      client: batch.client,
      fromOffset: batch.nextOffset,
      rows,
      nextOffset,
      nextLine,
      last: reader.atEnd,
      now,
    };
    return { chunk, busyMs, lines };
  }

  private async finish(batch: BatchRecord): Promise<void> {
    await this.dropReader(batch.batchId);
    await this.files.remove(batch.bodyFile);
    this.log.info(
      {
        batchId: batch.batchId,
        batchSize: batch.batchSize,
        successfulUpdates: batch.successfulUpdates,
        profilesNotFound: batch.profilesNotFound,
        failedUpdates: batch.failedUpdates,
        seconds: (this.clock.now() - batch.submittedAt) / 1000,
      },
      'batch complete',
    );
  }

  private async markStuck(batch: BatchRecord, reason: string): Promise<void> {
    this.attempts.delete(batch.batchId);
    this.log.error({ batchId: batch.batchId, reason }, 'batch is stuck');
    await this.store
      .markStuck(batch.batchId, reason, this.clock.now())
      .catch((err: unknown) => this.log.error({ err, batchId: batch.batchId }, 'could not mark batch stuck'));
  }

  private async dropReader(batchId: string): Promise<void> {
    const reader = this.readers.get(batchId);
    this.readers.delete(batchId);
    await reader?.close();
  }

  /** Interrupted uploads (never acknowledged) and bodies of finished batches. Stuck bodies stay for inspection. */
  private async removeLeftoverFiles(): Promise<void> {
    for (const { file, batchId, partial } of await this.files.list()) {
      const status = partial ? null : await this.store.statusOf(batchId);
      if (status === null || status === 'complete') await this.files.remove(file);
    }
  }
}

/** The batches to work on now: for each client, its oldest unfinished one. */
function oldestPerClient(unfinished: readonly BatchRecord[]): BatchRecord[] {
  const seen = new Set<string>();
  const heads: BatchRecord[] = [];
  for (const batch of unfinished) {
    if (seen.has(batch.client)) continue;
    seen.add(batch.client);
    heads.push(batch);
  }
  return heads;
}
