import { randomUUID } from 'node:crypto';
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
import { inTransaction, type PgClient, type PgPool } from './database.js';
import { applyBulkWrites, type WriteRow } from './pg-bulk-writes.js';
import { tallyChunk } from '../../features/batches/batch-rows.js';
import { BATCH_COLUMNS as COLUMNS, type BatchRow, toBatchRecord as toRecord } from '../shared-rows.js';

/** The database's clock in epoch ms: leases are compared on one clock, whatever the nodes' clocks say. */
const DB_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

/**
 * Privacy: failed rows of client $1's batches that may name the person, for failedRowNamesPerson
 * to decide: keyed by one of its ids of the batch's kind — tntIds $2, exactly or followed by a
 * dot; thirdPartyIds $3, exactly — and rows whose key was kept as sent ($4) and may decode to one.
 * `batches` and `batch_failures` are co-located by batch_id on Citus: the join stays on a shard.
 * Cost: rows kept as sent with a `%` or `+` in their key are all read (a non-UTF-8 batch may have
 * failed on every row) — once per privacy request, which is rare.
 */
const FAILURE_CANDIDATES = `SELECT f.batch_id, f.line, f.profile_key, f.reason, b.key_column
   FROM batch_failures f JOIN batches b ON b.batch_id = f.batch_id
  WHERE b.client = $1
    AND ((b.key_column = 'pcId' AND EXISTS (SELECT 1 FROM unnest($2::text[]) AS k
           WHERE f.profile_key = k OR left(f.profile_key, length(k) + 1) = k || '.'))
      OR (b.key_column = 'thirdPartyId' AND f.profile_key = ANY($3::text[]))
      OR (f.reason = $4 AND (strpos(f.profile_key, '%') > 0 OR strpos(f.profile_key, '+') > 0)))
  ORDER BY f.batch_id COLLATE "C", f.line`;

export interface BatchLeaseOptions {
  /** Identifies this process in `lease_owner`; one per store instance. */
  owner?: string;
  /** How long a claim lasts without progress; each applied chunk renews it. */
  leaseMs: number;
}

/**
 * Batches on PostgreSQL, shared by every server process.
 *
 * Leases: `unfinished()` claims, for each client, its oldest incomplete batch when nobody else
 * holds an unexpired lease on it (`FOR UPDATE SKIP LOCKED`, so concurrent claimers never wait on
 * each other), and returns only the batches this process holds. `applyChunk` refuses a chunk
 * when another process holds the lease, and renews the lease with each chunk. A process that dies
 * stops renewing; once its lease has run out another process claims the batch and continues from
 * the stored cursor — chunks are atomic, so the counters stay exact.
 */
export class PgBatchesStore implements BatchesStore {
  readonly waitsOnServer = true;
  readonly owner: string;
  private readonly leaseMs: number;

  constructor(
    private readonly pool: PgPool,
    lease: BatchLeaseOptions,
  ) {
    this.owner = lease.owner ?? randomUUID();
    this.leaseMs = lease.leaseMs;
  }

  async create(batch: NewBatch): Promise<void> {
    await this.pool.query(
      `INSERT INTO batches (batch_id, client, api_version, key_column, attributes, body_file, body_bytes, batch_size,
         status, next_offset, next_line, submitted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'incomplete', $9, $10, $11)`,
      [
        batch.batchId,
        batch.client,
        batch.apiVersion,
        batch.keyColumn,
        JSON.stringify(batch.attributes),
        batch.bodyFile,
        batch.bodyBytes,
        batch.batchSize,
        batch.firstOffset,
        batch.firstLine,
        batch.submittedAt,
      ],
    );
  }

  async get(client: string, batchId: string): Promise<BatchRecord | null> {
    const { rows } = await this.pool.query<BatchRow>(`SELECT ${COLUMNS} FROM batches WHERE client = $1 AND batch_id = $2`, [
      client,
      batchId,
    ]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async withKeptBodies(client: string): Promise<BatchWithKeptBody[]> {
    const { rows } = await this.pool.query<{
      batch_id: string;
      body_file: string;
      status: BatchWithKeptBody['status'];
      key_column: BatchKeyColumn;
    }>("SELECT batch_id, body_file, status, key_column FROM batches WHERE client = $1 AND status IN ('incomplete', 'stuck') ORDER BY seq", [
      client,
    ]);
    return rows.map((row) => ({ batchId: row.batch_id, bodyFile: row.body_file, status: row.status, keyColumn: row.key_column }));
  }

  async statusOf(batchId: string): Promise<BatchStatus | null> {
    const { rows } = await this.pool.query<{ status: BatchStatus }>('SELECT status FROM batches WHERE batch_id = $1', [batchId]);
    return rows[0]?.status ?? null;
  }

  /**
   * The batches this process may work on now (see the class comment): the heads it holds, renewed,
   * plus at most one free head newly claimed per call — so that several processes share the
   * waiting batches out instead of the first one to look taking them all.
   */
  async unfinished(): Promise<BatchRecord[]> {
    const heads = await this.pool.query<{ batch_id: string; mine: boolean; free: boolean }>(
      `SELECT DISTINCT ON (client) batch_id, lease_owner = $1 AS mine,
              (lease_owner IS NULL OR lease_expires_at < ${DB_NOW_MS}) AS free
         FROM batches WHERE status = 'incomplete' ORDER BY client, seq`,
      [this.owner],
    );
    const wanted = heads.rows.filter((head) => head.mine).map((head) => head.batch_id);
    const free = heads.rows.find((head) => head.free && !head.mine);
    if (free) wanted.push(free.batch_id);
    if (wanted.length === 0) return [];
    const { rows } = await this.pool.query<BatchRow & { seq: number }>(
      `UPDATE batches SET lease_owner = $1, lease_expires_at = ${DB_NOW_MS} + $2::bigint
        WHERE batch_id IN (
          SELECT batch_id FROM batches
           WHERE batch_id = ANY($3::text[]) AND status = 'incomplete'
             AND (lease_owner IS NULL OR lease_owner = $1 OR lease_expires_at < ${DB_NOW_MS})
           FOR UPDATE SKIP LOCKED)
        RETURNING seq, ${COLUMNS}`,
      [this.owner, this.leaseMs, wanted],
    );
    return rows.sort((a, b) => a.seq - b.seq).map(toRecord);
  }

  async applyChunk(chunk: BatchChunk): Promise<BatchRecord> {
    return inTransaction(this.pool, (db) => this.applyChunkLocked(db, chunk));
  }

  private async applyChunkLocked(db: PgClient, chunk: BatchChunk): Promise<BatchRecord> {
    const locked = await db.query<{ status: BatchStatus; next_offset: number; leased_elsewhere: boolean }>(
      `SELECT status, next_offset,
              (lease_owner IS NOT NULL AND lease_owner <> $2 AND lease_expires_at >= ${DB_NOW_MS}) AS leased_elsewhere
         FROM batches WHERE batch_id = $1 FOR UPDATE`,
      [chunk.batchId, this.owner],
    );
    const current = locked.rows[0];
    if (current?.status !== 'incomplete' || current.next_offset !== chunk.fromOffset || current.leased_elsewhere) {
      throw new BatchCursorMovedError(`batch ${chunk.batchId} is not at offset ${chunk.fromOffset} for this process`);
    }
    const writes: WriteRow[] = [];
    for (const row of chunk.rows) if (row.kind === 'write') writes.push(row);
    // Rows refused by the write rules (e.g. past 64 KB) come back as outcomes: they fail alone.
    const tally = tallyChunk(chunk.rows, await applyBulkWrites(db, chunk.client, writes));
    const { failures } = tally;
    if (failures.length > 0) {
      await db.query(
        `INSERT INTO batch_failures (batch_id, line, profile_key, reason)
         SELECT $1, line, profile_key, reason FROM unnest($2::bigint[], $3::text[], $4::text[]) AS t(line, profile_key, reason)`,
        [chunk.batchId, failures.map((f) => f.line), failures.map((f) => f.key), failures.map((f) => f.reason)],
      );
    }
    const { rows } = await db.query<BatchRow>(
      `UPDATE batches SET next_offset = $2, next_line = $3,
         consumed_count = consumed_count + $4, successful_updates = successful_updates + $5,
         profiles_not_found = profiles_not_found + $6, failed_updates = failed_updates + $7,
         status = $8, finished_at = $9,
         lease_owner = CASE WHEN $10::boolean THEN NULL ELSE $11::text END,
         lease_expires_at = CASE WHEN $10::boolean THEN NULL ELSE ${DB_NOW_MS} + $12::bigint END
       WHERE batch_id = $1
       RETURNING ${COLUMNS}`,
      [
        chunk.batchId,
        chunk.nextOffset,
        chunk.nextLine,
        chunk.rows.length,
        tally.successfulUpdates,
        tally.profilesNotFound,
        tally.failedUpdates,
        chunk.last ? 'complete' : 'incomplete',
        chunk.last ? chunk.now : null,
        chunk.last,
        this.owner,
        this.leaseMs,
      ],
    );
    return toRecord(rows[0]!);
  }

  async markStuck(batchId: string, reason: string, now: number): Promise<void> {
    await this.pool.query(
      `UPDATE batches SET status = 'stuck', stuck_reason = $1, finished_at = $2, lease_owner = NULL, lease_expires_at = NULL
        WHERE batch_id = $3 AND status = 'incomplete'`,
      [reason, now, batchId],
    );
  }

  async failuresOfPerson(client: string, person: PersonKeys): Promise<KeyedFailedRow[]> {
    if (person.tntIds.length === 0 && person.thirdPartyIds.length === 0) return [];
    const { rows } = await this.pool.query<{
      batch_id: string;
      line: number;
      profile_key: string;
      reason: string;
      key_column: BatchKeyColumn;
    }>(FAILURE_CANDIDATES, [client, person.tntIds, person.thirdPartyIds, ROW_NOT_UTF8_REASON]);
    const found: KeyedFailedRow[] = [];
    for (const row of rows) {
      const failure = { batchId: row.batch_id, line: row.line, key: row.profile_key, reason: row.reason };
      if (failedRowNamesPerson(row.key_column, failure, person)) found.push(failure);
    }
    return found;
  }

  /** Failed rows are written once and never changed: deleting the ones found is exact without a lock. */
  async forgetFailuresOfPerson(client: string, person: PersonKeys): Promise<number> {
    const found = await this.failuresOfPerson(client, person);
    if (found.length === 0) return 0;
    const deleted = await this.pool.query(
      'DELETE FROM batch_failures WHERE (batch_id, line) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))',
      [found.map((f) => f.batchId), found.map((f) => f.line)],
    );
    return deleted.rowCount ?? 0;
  }

  async failures(batchId: string, afterLine: number, limit: number): Promise<FailedRow[]> {
    const { rows } = await this.pool.query<{ line: number; profile_key: string; reason: string }>(
      'SELECT line, profile_key, reason FROM batch_failures WHERE batch_id = $1 AND line > $2 ORDER BY line LIMIT $3',
      [batchId, afterLine, limit],
    );
    return rows.map((row) => ({ line: row.line, key: row.profile_key, reason: row.reason }));
  }
}
