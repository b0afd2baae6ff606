import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerResponseBursts } from './response-bursts.js';

/**
 * A route answering at once; it records, when its response's head is written, whether a
 * setImmediate callback queued by the handler (so: the check phase of that turn) has run yet.
 */
async function serverRecordingWrites(bursts: boolean): Promise<{ app: FastifyInstance; checkPhaseRunBeforeWrite: boolean[] }> {
  const app = Fastify();
  if (bursts) registerResponseBursts(app);
  const checkPhaseRunBeforeWrite: boolean[] = [];
  app.get('/now', (_request, reply) => {
    let checkPhaseRan = false;
    setImmediate(() => (checkPhaseRan = true));
    const raw = reply.raw;
    const writeHead = raw.writeHead.bind(raw) as (...args: unknown[]) => typeof raw;
    raw.writeHead = ((...args: unknown[]) => {
      checkPhaseRunBeforeWrite.push(checkPhaseRan);
      return writeHead(...args);
    }) as typeof raw.writeHead;
    return reply.send({ ok: true });
  });
  await app.ready();
  return { app, checkPhaseRunBeforeWrite };
}

test('a response ready in the poll phase is written in the check phase, with the body unchanged', async () => {
  const { app, checkPhaseRunBeforeWrite } = await serverRecordingWrites(true);
  const answer = await app.inject('/now');
  assert.deepEqual([answer.statusCode, answer.body], [200, '{"ok":true}']);
  assert.deepEqual(checkPhaseRunBeforeWrite, [true]);
  await app.close();
});

test('without it the same response is written at once (the control)', async () => {
  const { app, checkPhaseRunBeforeWrite } = await serverRecordingWrites(false);
  await app.inject('/now');
  assert.deepEqual(checkPhaseRunBeforeWrite, [false]);
  await app.close();
});
