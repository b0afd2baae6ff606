import fs from 'node:fs/promises';
import path from 'node:path';
import { isLocalDiskFull } from './database-errors.js';

export interface DiskSpaceOptions {
  /** Bytes the probe writes (and fsyncs) to prove the disk takes writes again. */
  probeBytes: number;
  /** A state older than this is looked at again (statfs, and the probe while full). */
  recheckMs: number;
  /** Bytes a batch upload must leave free beyond its own size to be accepted. */
  uploadHeadroomBytes: number;
}

export const DEFAULT_DISK_SPACE_OPTIONS: DiskSpaceOptions = {
  probeBytes: 64 * 1024,
  recheckMs: 500,
  uploadHeadroomBytes: 1024 * 1024,
};

const PROBE_FILE = '.disk-space-probe';

/**
 * Whether the data directory's disk takes writes (docs/wire-contract.md#13-faults). Writes are
 * never gated on it: each one simply fails with ENOSPC / SQLITE_FULL while the disk is full
 * (answered 507, nothing stored) and succeeds again once space is freed. This is what /healthz,
 * /readyz and the batch intake ask:
 *
 * - a write that failed for lack of space marks the disk full (`noteFailure`);
 * - while marked, each look (at most every `recheckMs`) writes and fsyncs a small probe file:
 *   the first that succeeds clears the mark, without a restart;
 * - unmarked, a look is one statfs; a file system with less than the probe's size free is probed
 *   too, so a disk filled by something else is seen before a write fails.
 *
 * A probe is a real write (quotas and root-reserved blocks decide, not the free-block count).
 */
export class DiskSpace {
  private full = false;
  private lookedAt = 0;
  private looking: Promise<boolean> | null = null;

  constructor(
    readonly dir: string,
    private readonly options: DiskSpaceOptions = DEFAULT_DISK_SPACE_OPTIONS,
  ) {}

  /** An error met by a write: when it says the disk is full, the disk is marked full. Returns whether it did. */
  noteFailure(error: unknown): boolean {
    if (!isLocalDiskFull(error)) return false;
    this.full = true;
    this.lookedAt = Date.now();
    return true;
  }

  /** The last known state, without looking. */
  get knownFull(): boolean {
    return this.full;
  }

  /** Whether the disk is full now (looks again when the last look is older than `recheckMs`). */
  async isFull(): Promise<boolean> {
    if (Date.now() - this.lookedAt < this.options.recheckMs) return this.full;
    this.looking ??= this.look().finally(() => {
      this.looking = null;
    });
    return this.looking;
  }

  /**
   * Free bytes of the data directory's file system for an unprivileged writer (statfs), or null
   * when it cannot be read.
   */
  async freeBytes(): Promise<number | null> {
    try {
      const stats = await fs.statfs(this.dir);
      return stats.bavail * stats.bsize;
    } catch {
      return null;
    }
  }

  /**
   * Whether a batch body of `bytes` fits now, with the headroom the database needs to apply it.
   * Unknown sizes (chunked uploads) only need the disk not to be full; they fail as they are
   * written otherwise, before anything is acknowledged.
   */
  async roomFor(bytes: number | null): Promise<boolean> {
    if (await this.isFull()) return false;
    if (bytes === null) return true;
    const free = await this.freeBytes();
    return free === null || free >= bytes + this.options.uploadHeadroomBytes;
  }

  private async look(): Promise<boolean> {
    if (!this.full) {
      const free = await this.freeBytes();
      if (free === null || free >= this.options.probeBytes) {
        this.lookedAt = Date.now();
        return false;
      }
    }
    this.full = !(await this.probe());
    this.lookedAt = Date.now();
    return this.full;
  }

  /** Writes, fsyncs and removes a small file; false when the disk refused it for lack of space. */
  private async probe(): Promise<boolean> {
    const file = path.join(this.dir, PROBE_FILE);
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(file, 'w', 0o600);
      await handle.write(Buffer.alloc(this.options.probeBytes));
      await handle.sync();
      return true;
    } catch (error) {
      // Another failure (permissions, a missing directory) is not ours to report as a full disk.
      return !isLocalDiskFull(error);
    } finally {
      await handle?.close().catch(() => undefined);
      await fs.rm(file, { force: true }).catch(() => undefined);
    }
  }
}
