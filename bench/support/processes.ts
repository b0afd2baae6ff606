import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/support/ → ../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * A child process under test: a server on its own event loop (and, on a multi-core machine, its
 * own core), so that the load generator never competes with it inside one process.
 */
export interface ServerProcess {
  url: string;
  pid: number;
  /** The last output of the child (stdout and stderr), for error messages. */
  output(): string;
  /** SIGTERM, then wait for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

// Children still running when the bench process exits (a crash, an EPIPE) are killed with it.
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

/** A port that was free a moment ago (the kernel picks it; the child binds it right after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Keeps the tail of a stream so that a failing child can be explained without flooding the pipe. */
class OutputTail {
  private text = '';
  constructor(private readonly maxChars = 16_000) {}
  push(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > this.maxChars * 2) this.text = this.text.slice(-this.maxChars);
  }
  toString(): string {
    return this.text.slice(-this.maxChars);
  }
}

export interface SpawnServerOptions {
  /** Script run with `node --import tsx`, relative to the repository root. */
  script: string;
  args?: string[];
  env?: Record<string, string>;
  port: number;
  /** Path polled until it answers 200. */
  readyPath: string;
  readyTimeoutMs?: number;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
}

/** Starts `node --import tsx <script>` and waits until `readyPath` answers 200. */
export async function spawnServer(options: SpawnServerOptions): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), '--import', 'tsx', options.script, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail = new OutputTail();
  child.stdout!.on('data', (chunk: Buffer) => tail.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => tail.push(chunk));
  liveChildren.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      liveChildren.delete(child);
      resolve(code);
    }),
  );

  const url = `http://127.0.0.1:${options.port}`;
  const server: ServerProcess = {
    url,
    pid: child.pid!,
    output: () => tail.toString(),
    stop: (graceMs = 15_000) => stopChild(child, exited, graceMs),
  };
  try {
    await waitUntilReady(url + options.readyPath, exited, options.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await server.stop(2_000);
    throw new Error(`${options.script} did not become ready: ${(err as Error).message}\n--- its output ---\n${tail}`);
  }
  return server;
}

async function waitUntilReady(url: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let gone: number | null | undefined;
  void exited.then((code) => (gone = code));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone !== undefined) throw new Error(`it exited with code ${gone}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`no 200 from ${url} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** The bare `node:http` baseline: same machine, same run, answers a constant. */
export async function startBareNode(): Promise<ServerProcess> {
  const port = await freePort();
  return spawnServer({ script: 'bench/support/bare-node-server.ts', env: { PORT: String(port) }, port, readyPath: '/' });
}
