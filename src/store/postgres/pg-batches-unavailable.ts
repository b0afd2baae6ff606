import { ServiceUnavailableError } from '../../errors.js';
import type { BatchesStore, BatchRecord, BatchStatus, FailedRow } from '../../features/batches/batches-store.js';

/**
 * The bulk API on PostgreSQL arrives with the scale-out work (issue 6): batch bodies must then live
 * where every node can read them. Until then a PostgreSQL server answers bulk calls with a clear
 * 503 instead of accepting batches it could not process safely.
 */
export class UnavailableBatchesStore implements BatchesStore {
  private refuse(): never {
    throw new ServiceUnavailableError('The bulk profile API is not available on the PostgreSQL store yet; use the embedded store', 'bulk_unavailable');
  }
  async create(): Promise<void> {
    this.refuse();
  }
  async get(): Promise<BatchRecord | null> {
    this.refuse();
  }
  async unfinished(): Promise<BatchRecord[]> {
    return [];
  }
  async applyChunk(): Promise<BatchRecord> {
    this.refuse();
  }
  async markStuck(): Promise<void> {
    this.refuse();
  }
  async failures(): Promise<FailedRow[]> {
    this.refuse();
  }
  async statusOf(): Promise<BatchStatus | null> {
    return null;
  }
}
