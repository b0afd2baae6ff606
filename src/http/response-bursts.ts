import type { FastifyInstance } from 'fastify';

/**
 * Responses leave in bursts. A response that is ready while the event loop is still reading
 * requests (its poll phase) waits for the check phase of the same turn; there, every response of
 * that turn is written one after the other.
 *
 * Why: each socket write is a system call that also wakes the peer. Written one at a time as they
 * become ready, the writes interleave with the reads of the same turn and each one pays that cost
 * alone; written together, the reads of a turn are done first and the writes follow back to back.
 * On the 2-vCPU benchmark VM this doubled the fetch rate and cut its p99 (BENCHMARKS.md,
 * "Foundation"). The cost is bounded by one event-loop turn. Responses produced in the check phase
 * already (single updates and visits, released by group commit) wait for the next turn's check
 * phase: one turn more, and they too leave together.
 */
export function registerResponseBursts(app: FastifyInstance): void {
  let turn: Promise<void> | null = null;
  const nextCheckPhase = (): Promise<void> =>
    (turn ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        turn = null;
        resolve();
      }),
    ));
  // A callback hook: one shared promise per turn, not one per response.
  app.addHook('onSend', (_request, _reply, payload, done) => {
    void nextCheckPhase().then(() => done(null, payload));
  });
}
