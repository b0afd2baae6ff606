import { ServiceUnavailableError } from '../../errors.js';
import type { BatchesStore, BatchRecord, BatchStatus, FailedRow, KeyedFailedRow } from '../../features/batches/batches-store.js';
import type { RecordedVisit, VisitsStore } from '../../features/delivery/visits-store.js';

/**
 * The bulk and delivery stores on PostgreSQL arrive with the scale-out work (issue 6): batch bodies
 * must then live where every node can read them, and visits need the cross-process merge locking
 * described in visits-store.ts. Until then a PostgreSQL server answers those calls with a clear
 * 503 instead of accepting work it could not do safely.
 */
function unavailable(api: string): never {
  throw new ServiceUnavailableError(`The ${api} is not available on the PostgreSQL store yet; use the embedded store`, 'store_feature_unavailable');
}

export class UnavailableBatchesStore implements BatchesStore {
  async create(): Promise<void> {
    unavailable('bulk profile API');
  }
  async get(): Promise<BatchRecord | null> {
    unavailable('bulk profile API');
  }
  async unfinished(): Promise<BatchRecord[]> {
    return [];
  }
  async applyChunk(): Promise<BatchRecord> {
    unavailable('bulk profile API');
  }
  async markStuck(): Promise<void> {
    unavailable('bulk profile API');
  }
  async failures(): Promise<FailedRow[]> {
    unavailable('bulk profile API');
  }
  async statusOf(): Promise<BatchStatus | null> {
    return null;
  }
  // No batch is ever stored on PostgreSQL yet, so no failed row can hold a person's key.
  async failuresWithKeys(): Promise<KeyedFailedRow[]> {
    return [];
  }
  async forgetFailuresWithKeys(): Promise<number> {
    return 0;
  }
}

export class UnavailableVisitsStore implements VisitsStore {
  async recordVisit(): Promise<RecordedVisit> {
    unavailable('Delivery API');
  }
}
