/**
 * Where accepted batch bodies are kept until their batch is complete. The embedded store keeps
 * them as files in the data directory (batch-files.ts); PostgreSQL keeps them in the database
 * (src/store/postgres/pg-batch-bodies.ts), so that any node can process a batch another accepted.
 * Either way a body is durable once `commit()` returns, before the submission reply.
 */
export interface BodyWriter {
  /** Name the body is stored under (the batch's `bodyFile`). */
  readonly file: string;
  /** Bytes written so far. */
  readonly bytes: number;
  write(chunk: Buffer): Promise<void>;
  /** Makes the body durable under its final name. */
  commit(): Promise<void>;
  /** Drops an upload that was refused or interrupted. */
  discard(): Promise<void>;
}

/** A stored body open for positional reads (a short read is fine; 0 bytes = end). */
export interface BodyHandle {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

export interface BatchBodies {
  create(batchId: string): Promise<BodyWriter>;
  /** Opens a stored body; its size must be the one accepted, else BatchBodyUnusableError. */
  openBody(file: string, expectedBytes: number): Promise<BodyHandle>;
  remove(file: string): Promise<void>;
  /**
   * The stored bytes of a body in order, a piece at a time, whatever its size: for looking into
   * a stuck body (privacy erasure), which may be damaged. Yields nothing when none is stored.
   */
  storedPieces(file: string): AsyncIterable<Buffer>;
  /** Bodies (and interrupted uploads) that no running upload can still be writing: clean-up candidates. */
  list(): Promise<Array<{ file: string; batchId: string; partial: boolean }>>;
}
