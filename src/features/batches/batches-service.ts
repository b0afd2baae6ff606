import { BadRequestError, NotFoundError } from '../../errors.js';
import type { ClientSettings } from '../clients/clients-store.js';
import type { BatchesStore, BatchRecord, FailedRow } from './batches-store.js';

const CONTROL_CHARS = /[\u0000-\u001F\u007F]/;

export const REPORT_PAGE_DEFAULT = 1000;
export const REPORT_PAGE_MAX = 10_000;

export interface BatchReport {
  batch: BatchRecord;
  failedRows: FailedRow[];
  /** Line to pass as `afterLine` for the next page; null when this page is the last. */
  nextAfterLine: number | null;
}

/** Batch status and the failed-row report. A batch is only ever visible to its own client. */
export class BatchesService {
  constructor(private readonly store: BatchesStore) {}

  async status(client: ClientSettings, batchId: unknown): Promise<BatchRecord> {
    if (batchId === undefined || batchId === '') throw new BadRequestError('The batchId query parameter is required', 'batch_id_missing');
    if (typeof batchId !== 'string') throw new BadRequestError('The batchId query parameter is given more than once', 'batch_id_ambiguous');
    // Minted batch ids are printable: a control character (NUL…) is a malformed parameter.
    if (CONTROL_CHARS.test(batchId))
      throw new BadRequestError('The batchId query parameter contains control characters', 'invalid_batch_id');
    const batch = await this.store.get(client.code, batchId);
    if (!batch) throw new NotFoundError(`No batch ${batchId.slice(0, 128)} for client ${client.code}`, 'batch_not_found');
    return batch;
  }

  async report(client: ClientSettings, batchId: unknown, afterLine: number, limit: number): Promise<BatchReport> {
    const batch = await this.status(client, batchId);
    if (!Number.isInteger(afterLine) || afterLine < 0) throw new BadRequestError('afterLine must be a whole number ≥ 0', 'bad_after_line');
    if (!Number.isInteger(limit) || limit < 1 || limit > REPORT_PAGE_MAX) {
      throw new BadRequestError(`limit must be a whole number from 1 to ${REPORT_PAGE_MAX}`, 'bad_limit');
    }
    const page = await this.store.failures(batch.batchId, afterLine, limit + 1);
    const failedRows = page.slice(0, limit);
    return { batch, failedRows, nextAfterLine: page.length > limit ? failedRows[failedRows.length - 1]!.line : null };
  }
}
