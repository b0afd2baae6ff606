import fs from 'node:fs';

/**
 * CPU accounting from /proc, to tell a slow server from a busy machine: how many cores the server
 * and the load generator used during a measurement, and how many everything else took.
 * On a shared machine a row measured while "others" used a whole core is not comparable.
 */

/** Linux reports /proc times in USER_HZ ticks, 100 per second on every mainstream platform. */
const TICKS_PER_SECOND = 100;

/** Busy ticks of the whole machine from /proc/stat's aggregate `cpu` line (idle and iowait excluded). */
export function machineBusyTicks(procStat: string): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no aggregate cpu line');
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return [user, nice, system, irq, softirq, steal].reduce<number>((sum, ticks) => sum + (ticks ?? 0), 0);
}

/**
 * utime + stime of a process (all its threads, reaped children excluded) from /proc/<pid>/stat.
 * The command name may hold spaces and parentheses, so fields are counted from the last ')'.
 */
export function processTicks(pidStat: string): number {
  const fields = pidStat
    .slice(pidStat.lastIndexOf(')') + 2)
    .trim()
    .split(/\s+/);
  // After the name: state(3) ppid(4) … utime(14) stime(15); fields[0] is field 3.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('unreadable /proc/<pid>/stat');
  return utime + stime;
}

export interface CpuUse {
  /** Cores used on average over the measurement (1.0 = one core fully busy). */
  server: number;
  loadGenerator: number;
  /** The database server's processes, when its pid was given (else counted in `others`). */
  database: number | null;
  others: number;
}

/** Ticks of each process of a process tree, by pid. */
export type TreeTicks = ReadonlyMap<number, number>;

export interface Snapshot {
  at: number;
  machine: number;
  server: TreeTicks;
  database: TreeTicks | null;
  self: number;
}

/** The parent pid from /proc/<pid>/stat (field 4). */
function parentPid(pidStat: string): number {
  return Number(
    pidStat
      .slice(pidStat.lastIndexOf(')') + 2)
      .trim()
      .split(/\s+/)[1],
  );
}

/**
 * Ticks of a process and each of its live descendants: `serve --workers N` forks its workers, and
 * PostgreSQL runs a backend process per connection under its postmaster.
 */
export function processTreeTicks(rootPid: number): TreeTicks {
  const stats = new Map<number, string>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      stats.set(Number(entry), fs.readFileSync(`/proc/${entry}/stat`, 'utf8'));
    } catch {
      /* exited meanwhile */
    }
  }
  const children = new Map<number, number[]>();
  for (const [pid, stat] of stats) {
    const parent = parentPid(stat);
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent)!.push(pid);
  }
  const ticks = new Map<number, number>();
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    const stat = stats.get(pid);
    if (stat) ticks.set(pid, processTicks(stat));
    pending.push(...(children.get(pid) ?? []));
  }
  return ticks;
}

/**
 * Ticks a tree used between two snapshots, process by process: a process that started in between
 * counts whole, one that exited in between (an idle pool connection closed) is left out rather
 * than subtracted.
 */
export function treeTicksBetween(before: TreeTicks, after: TreeTicks): number {
  let ticks = 0;
  for (const [pid, now] of after) ticks += now - (before.get(pid) ?? 0);
  return ticks;
}

export function cpuSnapshot(serverPid: number, databasePid?: number): Snapshot | null {
  try {
    return {
      at: performance.now(),
      machine: machineBusyTicks(fs.readFileSync('/proc/stat', 'utf8')),
      server: processTreeTicks(serverPid),
      database: databasePid === undefined ? null : processTreeTicks(databasePid),
      self: processTicks(fs.readFileSync('/proc/self/stat', 'utf8')),
    };
  } catch {
    return null;
  }
}

/** Average cores used between two snapshots; others = machine − server − load generator, never negative. */
export function cpuUseBetween(before: Snapshot, after: Snapshot): CpuUse {
  const seconds = (after.at - before.at) / 1000;
  const cores = (ticks: number) => (seconds > 0 ? ticks / TICKS_PER_SECOND / seconds : 0);
  const server = cores(treeTicksBetween(before.server, after.server));
  const loadGenerator = cores(after.self - before.self);
  const machine = cores(after.machine - before.machine);
  const database = before.database === null || after.database === null ? null : cores(treeTicksBetween(before.database, after.database));
  return { server, loadGenerator, database, others: Math.max(0, machine - server - loadGenerator - (database ?? 0)) };
}
