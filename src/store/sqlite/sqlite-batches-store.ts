import type { WriteOutcome } from '../../domain/profile-write.js';
import {
  type BatchChunk,
  BatchCursorMovedError,
  type BatchesStore,
  type BatchRecord,
  type BatchStatus,
  type BatchWithKeptBody,
  type FailedRow,
  type KeyedFailedRow,
  type NewBatch,
} from '../../features/batches/batches-store.js';
import { failedRowNamesPerson, type PersonKeys, ROW_NOT_UTF8_REASON } from '../../features/batches/row-keys.js';
import type { BatchKeyColumn } from '../../wire/batch-reader.js';
import { tallyChunk } from '../../features/batches/batch-rows.js';
import type { SqliteDatabase } from './database.js';
import type { SqliteProfilesStore } from './sqlite-profiles-store.js';
import type { WalCheckpointer } from './wal-checkpointer.js';
import { BATCH_COLUMNS as COLUMNS, type BatchRow, toBatchRecord as toRecord } from '../shared-rows.js';

interface FailureCandidateRow {
  batch_id: string;
  line: number;
  profile_key: string;
  reason: string;
  key_column: BatchKeyColumn;
}

/**
 * Batches on the embedded store. `applyChunk` is one `BEGIN IMMEDIATE` transaction holding the
 * profile writes of the chunk (through the profiles store, so bulk rows get exactly the semantics
 * of a single update), the failed-row reports and the batch's cursor and counters: a crash leaves
 * either all of a chunk or none of it.
 */
export class SqliteBatchesStore implements BatchesStore {
  private readonly insert;
  private readonly byClientAndId;
  private readonly byId;
  private readonly unfinishedRows;
  private readonly advance;
  private readonly insertFailure;
  private readonly stuck;
  private readonly failuresAfter;
  private readonly failureCandidates;
  private readonly forgetFailure;
  private readonly keptBodies;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly profiles: SqliteProfilesStore,
    /** When given, bulk chunks pace themselves so its WAL checkpoints keep up. */
    private readonly checkpointer?: WalCheckpointer,
  ) {
    this.insert = db.prepare(
      `INSERT INTO batches (batch_id, client, api_version, key_column, attributes, body_file, body_bytes, batch_size,
         status, next_offset, next_line, submitted_at)
       VALUES (@batchId, @client, @apiVersion, @keyColumn, @attributes, @bodyFile, @bodyBytes, @batchSize,
         'incomplete', @firstOffset, @firstLine, @submittedAt)`,
    );
    this.byClientAndId = db.prepare<[string, string], BatchRow>(`SELECT ${COLUMNS} FROM batches WHERE client = ? AND batch_id = ?`);
    this.byId = db.prepare<[string], BatchRow>(`SELECT ${COLUMNS} FROM batches WHERE batch_id = ?`);
    this.unfinishedRows = db.prepare<[], BatchRow>(`SELECT ${COLUMNS} FROM batches WHERE status = 'incomplete' ORDER BY seq`);
    this.advance = db.prepare(
      `UPDATE batches SET next_offset = @nextOffset, next_line = @nextLine,
         consumed_count = consumed_count + @consumed, successful_updates = successful_updates + @successful,
         profiles_not_found = profiles_not_found + @notFound, failed_updates = failed_updates + @failed,
         status = @status, finished_at = @finishedAt
       WHERE batch_id = @batchId`,
    );
    this.insertFailure = db.prepare('INSERT INTO batch_failures (batch_id, line, profile_key, reason) VALUES (?, ?, ?, ?)');
    this.stuck = db.prepare(
      `UPDATE batches SET status = 'stuck', stuck_reason = ?, finished_at = ? WHERE batch_id = ? AND status = 'incomplete'`,
    );
    this.failuresAfter = db.prepare<[string, number, number], { line: number; profile_key: string; reason: string }>(
      'SELECT line, profile_key, reason FROM batch_failures WHERE batch_id = ? AND line > ? ORDER BY line LIMIT ?',
    );
    // Privacy: failed rows of the client's batches that may name the person, for
    // failedRowNamesPerson to decide: keyed by one of its ids of the batch's kind, exactly or
    // (tntIds) followed by a dot, and rows whose key was kept as sent and may decode to one.
    this.failureCandidates = db.prepare<{ client: string; tntIds: string; thirdPartyIds: string; keptAsSent: string }, FailureCandidateRow>(
      `SELECT f.batch_id, f.line, f.profile_key, f.reason, b.key_column
         FROM batch_failures f JOIN batches b ON b.batch_id = f.batch_id
        WHERE b.client = @client
          AND ((b.key_column = 'pcId' AND EXISTS (SELECT 1 FROM json_each(@tntIds) AS k
                 WHERE f.profile_key = k.value OR substr(f.profile_key, 1, length(k.value) + 1) = k.value || '.'))
            OR (b.key_column = 'thirdPartyId' AND f.profile_key IN (SELECT value FROM json_each(@thirdPartyIds)))
            OR (f.reason = @keptAsSent AND (instr(f.profile_key, '%') > 0 OR instr(f.profile_key, '+') > 0)))
        ORDER BY f.batch_id, f.line`,
    );
    this.forgetFailure = db.prepare<[string, number]>('DELETE FROM batch_failures WHERE batch_id = ? AND line = ?');
    this.keptBodies = db.prepare<
      [string],
      { batch_id: string; body_file: string; status: BatchWithKeptBody['status']; key_column: BatchKeyColumn }
    >("SELECT batch_id, body_file, status, key_column FROM batches WHERE client = ? AND status IN ('incomplete', 'stuck') ORDER BY seq");
  }

  async withKeptBodies(client: string): Promise<BatchWithKeptBody[]> {
    return this.keptBodies
      .all(client)
      .map((row) => ({ batchId: row.batch_id, bodyFile: row.body_file, status: row.status, keyColumn: row.key_column }));
  }

  async failuresOfPerson(client: string, person: PersonKeys): Promise<KeyedFailedRow[]> {
    return this.findFailuresOf(client, person);
  }

  async forgetFailuresOfPerson(client: string, person: PersonKeys): Promise<number> {
    return this.db
      .transaction(() => {
        let forgotten = 0;
        for (const row of this.findFailuresOf(client, person)) forgotten += this.forgetFailure.run(row.batchId, row.line).changes;
        return forgotten;
      })
      .immediate();
  }

  private findFailuresOf(client: string, person: PersonKeys): KeyedFailedRow[] {
    const found: KeyedFailedRow[] = [];
    if (person.tntIds.length === 0 && person.thirdPartyIds.length === 0) return found;
    const candidates = this.failureCandidates.iterate({
      client,
      tntIds: JSON.stringify(person.tntIds),
      thirdPartyIds: JSON.stringify(person.thirdPartyIds),
      keptAsSent: ROW_NOT_UTF8_REASON,
    });
    // Iterated, not loaded: a client's non-UTF-8 batch may have failed on every row.
    for (const row of candidates) {
      const failure = { batchId: row.batch_id, line: row.line, key: row.profile_key, reason: row.reason };
      if (failedRowNamesPerson(row.key_column, failure, person)) found.push(failure);
    }
    return found;
  }

  async create(batch: NewBatch): Promise<void> {
    this.insert.run({ ...batch, attributes: JSON.stringify(batch.attributes) });
  }

  async get(client: string, batchId: string): Promise<BatchRecord | null> {
    const row = this.byClientAndId.get(client, batchId);
    return row ? toRecord(row) : null;
  }

  async unfinished(): Promise<BatchRecord[]> {
    return this.unfinishedRows.all().map(toRecord);
  }

  async statusOf(batchId: string): Promise<BatchStatus | null> {
    return this.byId.get(batchId)?.status ?? null;
  }

  async ready(): Promise<void> {
    await this.checkpointer?.caughtUp();
  }

  async applyChunk(chunk: BatchChunk): Promise<BatchRecord> {
    if (!this.checkpointer) return this.db.transaction(() => this.applyChunkLocked(chunk)).immediate();
    const started = performance.now();
    try {
      return this.db.transaction(() => this.applyChunkLocked(chunk)).immediate();
    } finally {
      this.checkpointer.wrote(performance.now() - started);
    }
  }

  private applyChunkLocked(chunk: BatchChunk): BatchRecord {
    const current = this.byId.get(chunk.batchId);
    if (current?.status !== 'incomplete' || current.next_offset !== chunk.fromOffset) {
      throw new BatchCursorMovedError(`batch ${chunk.batchId} is not at offset ${chunk.fromOffset}`);
    }
    // Rows refused by the write rules (e.g. past 64 KB) come back as outcomes: they fail alone.
    const outcomes: WriteOutcome[] = [];
    for (const row of chunk.rows) {
      if (row.kind === 'write') outcomes.push(this.profiles.writeInOpenTransaction(chunk.client, row.ref, row.write));
    }
    const tally = tallyChunk(chunk.rows, outcomes);
    for (const failure of tally.failures) this.insertFailure.run(chunk.batchId, failure.line, failure.key, failure.reason);
    this.advance.run({
      batchId: chunk.batchId,
      nextOffset: chunk.nextOffset,
      nextLine: chunk.nextLine,
      consumed: chunk.rows.length,
      successful: tally.successfulUpdates,
      notFound: tally.profilesNotFound,
      failed: tally.failedUpdates,
      status: chunk.last ? 'complete' : 'incomplete',
      finishedAt: chunk.last ? chunk.now : null,
    });
    return toRecord(this.byId.get(chunk.batchId)!);
  }

  async markStuck(batchId: string, reason: string, now: number): Promise<void> {
    this.stuck.run(reason, now, batchId);
  }

  async failures(batchId: string, afterLine: number, limit: number): Promise<FailedRow[]> {
    return this.failuresAfter.all(batchId, afterLine, limit).map((row) => ({ line: row.line, key: row.profile_key, reason: row.reason }));
  }
}
