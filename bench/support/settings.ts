import os from 'node:os';

/**
 * Load settings shared by every bench script, so that all sections of one run are comparable.
 * Override from the environment for a quick look (`BENCH_DURATION_SECONDS=3 npm run bench`);
 * the figures in BENCHMARKS.md use the defaults.
 */
export interface BenchSettings {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Each row is measured this many times, interleaved; the least disturbed round is reported. */
  rounds: number;
}

export const DEFAULT_SETTINGS: BenchSettings = { connections: 50, durationSeconds: 10, warmupSeconds: 3, rounds: 3 };

export function positiveIntegerFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got '${raw}'`);
  return value;
}

export function benchSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  return {
    connections: positiveIntegerFromEnv(env, 'BENCH_CONNECTIONS', DEFAULT_SETTINGS.connections),
    durationSeconds: positiveIntegerFromEnv(env, 'BENCH_DURATION_SECONDS', DEFAULT_SETTINGS.durationSeconds),
    warmupSeconds: positiveIntegerFromEnv(env, 'BENCH_WARMUP_SECONDS', DEFAULT_SETTINGS.warmupSeconds, 0),
    rounds: positiveIntegerFromEnv(env, 'BENCH_ROUNDS', DEFAULT_SETTINGS.rounds),
  };
}

/** One line describing the machine, for the report header. */
export function machineSummary(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  const memoryGiB = (os.totalmem() / 1024 ** 3).toFixed(1);
  return `${os.availableParallelism()} CPUs (${model}), ${memoryGiB} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}
