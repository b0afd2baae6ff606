import type { BatchBodies, BodyHandle, BodyWriter } from '../../features/batches/batch-bodies.js';
import { BatchBodyUnusableError } from '../../features/batches/batch-files.js';
import type { PgPool } from './database.js';

/** Body bytes per stored piece (and per INSERT). */
export const BODY_PIECE_BYTES = 1024 * 1024;
/**
 * Clean-up leaves bodies younger than this alone: another node may still be between storing a
 * body and recording its batch, or still receiving an upload.
 */
const ORPHAN_AGE_MS = 60 * 60 * 1000;

/**
 * Batch bodies in PostgreSQL (`batch_bodies`), so that whichever process holds a batch's lease
 * can read it. Each piece is its own committed INSERT: an upload never holds a pooled connection
 * while the client is still sending, and once `commit()` returns every byte is committed.
 * An interrupted upload leaves pieces without a batch; clean-up removes them after an hour.
 */
export class PgBatchBodies implements BatchBodies {
  constructor(
    private readonly pool: PgPool,
    private readonly now: () => number = Date.now,
  ) {}

  async create(batchId: string): Promise<BodyWriter> {
    return new PgBodyWriter(this.pool, batchId, this.now);
  }

  async openBody(file: string, expectedBytes: number): Promise<BodyHandle> {
    const { rows } = await this.pool.query<{ bytes: number | null }>(
      'SELECT sum(octet_length(data))::bigint AS bytes FROM batch_bodies WHERE batch_id = $1',
      [file],
    );
    const bytes = rows[0]?.bytes ?? 0;
    if (bytes === 0) throw new BatchBodyUnusableError('the stored batch body is missing');
    if (bytes !== expectedBytes) {
      throw new BatchBodyUnusableError(`the stored batch body has ${bytes} bytes instead of the ${expectedBytes} accepted`);
    }
    return new PgBodyHandle(this.pool, file);
  }

  async remove(file: string): Promise<void> {
    await this.pool.query('DELETE FROM batch_bodies WHERE batch_id = $1', [file]);
  }

  /** Piece by piece in piece order, one query each: a missing piece is skipped, not the rest. */
  async *storedPieces(file: string): AsyncIterable<Buffer> {
    for (let after = -1; ; ) {
      const { rows } = await this.pool.query<{ piece: number; data: Buffer }>(
        'SELECT piece, data FROM batch_bodies WHERE batch_id = $1 AND piece > $2 ORDER BY piece LIMIT 1',
        [file, after],
      );
      const next = rows[0];
      if (!next) return;
      after = next.piece;
      yield next.data;
    }
  }

  async list(): Promise<Array<{ file: string; batchId: string; partial: boolean }>> {
    const { rows } = await this.pool.query<{ batch_id: string }>('SELECT batch_id FROM batch_bodies WHERE piece = 0 AND stored_at < $1', [
      this.now() - ORPHAN_AGE_MS,
    ]);
    return rows.map((row) => ({ file: row.batch_id, batchId: row.batch_id, partial: false }));
  }
}

class PgBodyWriter implements BodyWriter {
  bytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private piece = 0;

  constructor(
    private readonly pool: PgPool,
    readonly file: string,
    private readonly now: () => number,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    this.bytes += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes >= BODY_PIECE_BYTES) await this.flush(BODY_PIECE_BYTES);
  }

  async commit(): Promise<void> {
    if (this.pendingBytes > 0) await this.flush(this.pendingBytes);
  }

  async discard(): Promise<void> {
    this.pending = [];
    await this.pool.query('DELETE FROM batch_bodies WHERE batch_id = $1', [this.file]).catch(() => undefined);
  }

  /** Stores the first `size` pending bytes as the next piece (every piece but the last is full). */
  private async flush(size: number): Promise<void> {
    const all = Buffer.concat(this.pending, this.pendingBytes);
    const data = all.subarray(0, size);
    this.pending = all.length > size ? [all.subarray(size)] : [];
    this.pendingBytes = all.length - size;
    await this.pool.query('INSERT INTO batch_bodies (batch_id, piece, data, stored_at) VALUES ($1, $2, $3, $4)', [
      this.file,
      this.piece++,
      data,
      this.now(),
    ]);
  }
}

class PgBodyHandle implements BodyHandle {
  constructor(
    private readonly pool: PgPool,
    private readonly batchId: string,
  ) {}

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    const piece = Math.floor(position / BODY_PIECE_BYTES);
    const within = position - piece * BODY_PIECE_BYTES;
    const { rows } = await this.pool.query<{ data: Buffer }>(
      'SELECT substring(data FROM $3 FOR $4) AS data FROM batch_bodies WHERE batch_id = $1 AND piece = $2',
      [this.batchId, piece, within + 1, length],
    );
    const data = rows[0]?.data;
    if (!data) return { bytesRead: 0 };
    data.copy(buffer, offset);
    return { bytesRead: data.length };
  }

  async close(): Promise<void> {}
}
