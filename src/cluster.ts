import cluster, { type Worker } from 'node:cluster';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { announceFirstStart } from './server.js';

/**
 * `serve --workers N`: the primary runs the first-start bootstrap and migrations once, then forks
 * N server processes that share the listening port (node:cluster). A worker that dies is
 * replaced; SIGTERM is passed on to every worker, which finishes its in-flight requests.
 */
export async function runPrimary(config: Config, announce: (text: string) => void): Promise<void> {
  const app = await buildApp(config, { logger: false });
  await announceFirstStart(app, config, announce);
  await app.close();

  let stopping = false;
  const fork = (): Worker => cluster.fork({ PROFILE_EDGE_WORKERS: String(config.workers) });
  for (let i = 0; i < config.workers; i++) fork();

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    process.stderr.write(`profile-edge: worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
    fork();
  });

  const stop = () => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(0);
    for (const worker of workers) worker?.process.kill('SIGTERM');
    setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 1000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

export const isClusterWorker = (): boolean => cluster.isWorker;
