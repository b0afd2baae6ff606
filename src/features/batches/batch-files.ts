import fs from 'node:fs/promises';
import path from 'node:path';
import type { BatchBodies, BodyWriter } from './batch-bodies.js';

/** The body file is gone, shorter or longer than what was accepted: the batch cannot go on. */
export class BatchBodyUnusableError extends Error {}

const BODY_SUFFIX = '.batch';
const UPLOAD_SUFFIX = '.upload';
/** Bytes `storedPieces` reads at a time. */
const PIECE_BYTES = 1024 * 1024;

/**
 * Batch bodies as files in `<dataDir>/batches/`. A body is written to a temporary `.upload` file,
 * fsync'd, renamed to `<batchId>.batch` and the directory fsync'd: once `commit()` returns, the
 * bytes survive a crash (and a power loss, on a disk that honours fsync).
 */
export class BatchFiles implements BatchBodies {
  readonly dir: string;

  constructor(
    dataDir: string,
    /**
     * `list()` leaves files modified more recently than this alone: another process on the same
     * data directory (a `--workers` sibling, a second `serve`) may still be receiving that upload,
     * or be between renaming a body and recording its batch.
     */
    private readonly orphanAgeMs = 0,
  ) {
    this.dir = path.join(dataDir, 'batches');
  }

  async ensureDir(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  async create(batchId: string): Promise<BatchBodyWriter> {
    await this.ensureDir();
    const temp = path.join(this.dir, `${batchId}${UPLOAD_SUFFIX}`);
    const handle = await fs.open(temp, 'wx', 0o600);
    return new BatchBodyWriter(handle, temp, this.dir, `${batchId}${BODY_SUFFIX}`);
  }

  /** Opens a stored body for reading from `offset`; its size must be the one accepted. */
  async openBody(file: string, expectedBytes: number): Promise<fs.FileHandle> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(path.join(this.dir, file), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BatchBodyUnusableError('the stored batch body is missing');
      throw err;
    }
    const { size } = await handle.stat();
    if (size !== expectedBytes) {
      await handle.close();
      throw new BatchBodyUnusableError(`the stored batch body has ${size} bytes instead of the ${expectedBytes} accepted`);
    }
    return handle;
  }

  async remove(file: string): Promise<void> {
    await fs.rm(path.join(this.dir, file), { force: true });
  }

  async *storedPieces(file: string): AsyncIterable<Buffer> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(path.join(this.dir, file), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      for (;;) {
        // A fresh buffer per piece: the caller may keep a piece while reading the next.
        const piece = Buffer.allocUnsafe(PIECE_BYTES);
        const { bytesRead } = await handle.read(piece, 0, PIECE_BYTES, null);
        if (bytesRead === 0) return;
        yield piece.subarray(0, bytesRead);
      }
    } finally {
      await handle.close();
    }
  }

  /**
   * Body files and interrupted uploads present in the folder, with the batch id each belongs to,
   * that nobody has written for `orphanAgeMs`: an `.upload` file is then a leftover of a crash.
   */
  async list(): Promise<Array<{ file: string; batchId: string; partial: boolean }>> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const settledBefore = Date.now() - this.orphanAgeMs;
    const found: Array<{ file: string; batchId: string; partial: boolean }> = [];
    for (const name of names) {
      if (!name.endsWith(BODY_SUFFIX) && !name.endsWith(UPLOAD_SUFFIX)) continue;
      if (this.orphanAgeMs > 0) {
        const modified = await fs.stat(path.join(this.dir, name)).then(
          (stats) => stats.mtimeMs,
          () => null, // gone meanwhile: committed or discarded by its writer
        );
        if (modified === null || modified > settledBefore) continue;
      }
      const partial = name.endsWith(UPLOAD_SUFFIX);
      found.push({ file: name, batchId: name.slice(0, -(partial ? UPLOAD_SUFFIX : BODY_SUFFIX).length), partial });
    }
    return found;
  }
}

export class BatchBodyWriter implements BodyWriter {
  bytes = 0;
  private committed = false;

  constructor(
    private readonly handle: fs.FileHandle,
    private readonly tempPath: string,
    private readonly dir: string,
    /** File name the body gets once committed. */
    readonly file: string,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    await this.handle.write(chunk);
    this.bytes += chunk.length;
  }

  /** Makes the body durable under its final name. */
  async commit(): Promise<void> {
    await this.handle.sync();
    await this.handle.close();
    await fs.rename(this.tempPath, path.join(this.dir, this.file));
    this.committed = true;
    const dir = await fs.open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /**
   * Drops an upload that was refused or interrupted, also after `commit()` (the batch could not be
   * recorded, e.g. on a full disk): its body is never acknowledged, so it must not take space.
   */
  async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await fs.rm(this.committed ? path.join(this.dir, this.file) : this.tempPath, { force: true });
  }
}
