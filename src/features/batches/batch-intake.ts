import { randomInt } from 'node:crypto';
import type { Limits } from '../../config.js';
import { attributeNameProblem } from '../../domain/attributes.js';
import type { Clock } from '../../domain/clock.js';
import { BadRequestError, InsufficientStorageError, PayloadTooLargeError } from '../../errors.js';
import { DISK_FULL_MESSAGE } from '../../store/database-errors.js';
import type { DiskSpace } from '../../store/disk-space.js';
import { BATCH_PREFIX, BatchFormatError, type BatchHeader, headerTooLong, LineSplitter, readHeaderLine } from '../../wire/batch-reader.js';
import type { ClientSettings } from '../clients/clients-store.js';
import type { BatchBodies } from './batch-bodies.js';
import type { BatchApiVersion, BatchesStore, NewBatch } from './batches-store.js';

export interface IntakeOptions {
  /** False for a multipart file field: `batch=` may be left out there. */
  requirePrefix: boolean;
  /** The request's Content-Length, when it has one. */
  declaredBytes?: number;
}

/** `<client>-<epochMillis>-<8 digits>`, the shape of Target's batch ids. */
export function newBatchId(client: string, now: number): string {
  return `${client}-${now}-${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
}

export function tooLargeMessage(limits: Limits): string {
  return `Batch body must be smaller than ${limits.maxBatchBodyBytes / (1024 * 1024)} MB`;
}

/**
 * Accepts a batch body: streams it to a file while checking the header and counting the rows,
 * refuses the whole batch on a bad header, no rows, too many rows or too many bytes, and only
 * then records the batch (durably) for the processor. Memory use does not depend on the body size.
 * On a full disk the upload is refused (507) before anything is acknowledged: up front when the
 * data directory cannot hold its declared size, else as soon as a write of the body, its fsync or
 * the batch record fails.
 */
export class BatchIntake {
  constructor(
    private readonly store: BatchesStore,
    private readonly files: BatchBodies,
    private readonly clock: Clock,
    private readonly limits: Limits,
    private readonly onAccepted: () => void,
    private readonly options: { disk?: DiskSpace } = {},
  ) {}

  async accept(
    client: ClientSettings,
    apiVersion: BatchApiVersion,
    body: AsyncIterable<Buffer>,
    options: IntakeOptions,
  ): Promise<NewBatch> {
    const { disk } = this.options;
    if (disk && !(await disk.roomFor(Number.isFinite(options.declaredBytes) ? options.declaredBytes! : null))) {
      throw new InsufficientStorageError(DISK_FULL_MESSAGE);
    }
    const submittedAt = this.clock.now();
    const batchId = newBatchId(client.code, submittedAt);
    const writer = await this.files.create(batchId);
    try {
      const scan = new BodyScan(this.limits, options.requirePrefix);
      for await (const chunk of body) {
        if (writer.bytes + chunk.length >= this.limits.maxBatchBodyBytes) {
          throw new PayloadTooLargeError(tooLargeMessage(this.limits), 'batch_too_large');
        }
        await writer.write(chunk);
        scan.push(chunk);
      }
      const { header, firstOffset, firstLine, rows } = scan.finish();
      await writer.commit();
      const batch: NewBatch = {
        batchId,
        client: client.code,
        apiVersion,
        keyColumn: header.keyColumn,
        attributes: header.attributes,
        bodyFile: writer.file,
        bodyBytes: writer.bytes,
        batchSize: rows,
        firstOffset,
        firstLine,
        submittedAt,
      };
      await this.store.create(batch);
      this.onAccepted();
      return batch;
    } catch (err) {
      await writer.discard();
      this.options.disk?.noteFailure(err);
      if (err instanceof BatchFormatError) throw new BadRequestError(err.message, err.code);
      throw err;
    }
  }
}

/** Reads the header and counts data rows as the bytes go by, failing as early as it can. */
class BodyScan {
  private readonly splitter = new LineSplitter();
  private header: BatchHeader | null = null;
  private firstOffset = 0;
  private firstLine = 0;
  private rows = 0;

  constructor(
    private readonly limits: Limits,
    private readonly requirePrefix: boolean,
  ) {}

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
    this.drain();
  }

  finish(): { header: BatchHeader; firstOffset: number; firstLine: number; rows: number } {
    this.splitter.end();
    this.drain();
    if (!this.header) {
      throw new BatchFormatError(`Batch body must start with '${BATCH_PREFIX}' followed by the header row`, 'missing_prefix');
    }
    if (this.rows === 0) throw new BatchFormatError('Batch is empty: no data rows after the header', 'empty_batch');
    return { header: this.header, firstOffset: this.firstOffset, firstLine: this.firstLine, rows: this.rows };
  }

  private drain(): void {
    for (let line = this.splitter.next(); line; line = this.splitter.next()) {
      if (!this.header && line.bytes.length > this.limits.maxBatchHeaderBytes) throw headerTooLong(this.limits.maxBatchHeaderBytes);
      if (!this.header) {
        this.header = this.readHeader(line.bytes);
        this.firstOffset = line.nextOffset;
        this.firstLine = line.number + 1;
      } else if (line.bytes.length > 0) {
        this.rows++;
        if (this.rows > this.limits.maxBatchRows) {
          throw new BadRequestError(
            `Batch has more than ${this.limits.maxBatchRows} data rows; split it into smaller batches`,
            'too_many_rows',
          );
        }
      }
    }
    // A header line still waiting for its end is refused as soon as it is too long: its bytes are
    // never gathered into one buffer, let alone split.
    if (!this.header && this.splitter.pendingBytes > this.limits.maxBatchHeaderBytes) {
      throw headerTooLong(this.limits.maxBatchHeaderBytes);
    }
  }

  private readHeader(bytes: Buffer): BatchHeader {
    const header = readHeaderLine(bytes, this.requirePrefix, {
      maxBytes: this.limits.maxBatchHeaderBytes,
      maxColumns: this.limits.maxBatchColumns,
    });
    for (const name of header.attributes) {
      const problem = attributeNameProblem(name, this.limits.maxNameLength);
      if (problem) throw new BatchFormatError(`Header row: ${problem}`, 'bad_header');
    }
    return header;
  }
}
