import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A small file system of its own (tmpfs), for disk-full tests: a real ENOSPC from the kernel, for
 * SQLite's file and WAL and for batch bodies alike. Mounting needs root (CI and the development
 * machines run tests as root); `mountable()` says why not otherwise.
 */
export interface SmallDisk {
  dir: string;
  /** Fills the disk up to the last block with a ballast file. */
  fill(): void;
  /** Removes the ballast: the space is back at once. */
  free(): void;
  /** Free bytes now (statfs). */
  freeBytes(): number;
  unmount(): void;
}

export function mountable(): string | null {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  return null;
}

export function mountSmallDisk(megabytes: number): SmallDisk {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m,mode=0700`, 'tmpfs', dir]);
  const ballast = path.join(dir, 'ballast');
  return {
    dir,
    fill() {
      const fd = fs.openSync(ballast, 'a');
      try {
        for (const size of [1024 * 1024, 64 * 1024, 4096, 512, 1]) {
          const chunk = Buffer.alloc(size, 1);
          for (;;) {
            try {
              fs.writeSync(fd, chunk);
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw error;
            }
          }
        }
      } finally {
        fs.closeSync(fd);
      }
    },
    free() {
      fs.rmSync(ballast, { force: true });
    },
    freeBytes() {
      const stats = fs.statfsSync(dir);
      return stats.bavail * stats.bsize;
    },
    unmount() {
      execFileSync('umount', ['-l', dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
