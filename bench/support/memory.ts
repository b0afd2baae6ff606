import fs from 'node:fs';

/**
 * Reads a `kB` field (`VmHWM`, `VmRSS`, …) of a /proc/<pid>/status text, in bytes; null when the
 * field is missing.
 */
export function procStatusBytes(statusText: string, field: string): number | null {
  for (const line of statusText.split('\n')) {
    if (!line.startsWith(`${field}:`)) continue;
    const match = /^\S+:\s+(\d+)\s+kB\s*$/.exec(line);
    return match ? Number(match[1]) * 1024 : null;
  }
  return null;
}

/** Peak resident set size of a live process (Linux VmHWM), or null where /proc is not available. */
export function peakRssBytes(pid: number): number | null {
  try {
    return procStatusBytes(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmHWM');
  } catch {
    return null;
  }
}

/**
 * Resets the peak-RSS mark of a process to its current RSS (Linux ≥ 4.0, own processes), so that
 * the next reading covers one phase only. Returns false when the kernel refuses.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
