import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AttributeMap } from '../../../domain/attributes.js';
import { runScripts, type ScriptRequest } from '../script-runs.js';
import { ClientSandbox, quickJs } from './client-sandbox.js';

const REQUEST: ScriptRequest = {
  tntId: 'v1',
  sessionId: 's1',
  facts: { isFirstSession: true, isNewSession: true, daysSinceLastVisit: null, sessionCount: 1 },
  context: {},
  now: 1,
};

let sandbox: ClientSandbox;
before(async () => {
  sandbox = await ClientSandbox.create({ steps: 2_000, deadlineMs: 1_000, memoryBytes: 4 * 1024 * 1024, stackBytes: 256 * 1024 });
});
after(() => sandbox.dispose());

/** One run of `source` as script `t`, through the request path: its value, or why it failed. */
function run(source: string, attributes: AttributeMap = new Map(), on: ClientSandbox = sandbox) {
  const compiled = on.compile(source);
  assert.ok(compiled.ok, compiled.ok ? '' : compiled.message);
  try {
    const script = { name: 't', version: 1, compiled: compiled.script, failed: false };
    const result = runScripts(on, [script], REQUEST, [{ kind: 'mbox', name: 'hero' }], attributes);
    const failure = result.failures[0];
    return failure ? { ok: false as const, failure } : { ok: true as const, value: result.values.get('t') };
  } finally {
    on.release(compiled.script);
  }
}

const loop = (n: number) => `var i = 0; while (i < ${n}) i++; return i`;

describe('the step budget', () => {
  test('the step counter of this QuickJS build is found, so budgets count single steps', () => {
    assert.equal(sandbox.exactSteps, true);
  });

  test('every run starts with the whole budget: a loop iteration is 2 steps, 950 of them pass each time, 1,010 are stopped', () => {
    for (let repeat = 0; repeat < 5; repeat++) assert.deepEqual(run(loop(950)), { ok: true, value: '950' });
    const stopped = run(loop(1_010));
    assert.equal(stopped.ok, false);
    assert.equal(!stopped.ok && stopped.failure.reason, 'budget');
  });

  test('a wall-clock deadline stops a run that takes steps slowly', async () => {
    const slow = await ClientSandbox.create({ steps: 1_000_000, deadlineMs: 1, memoryBytes: 4 * 1024 * 1024, stackBytes: 256 * 1024 });
    try {
      const outcome = run("for (;;) { 'x'.repeat(1000).split(''); }", new Map(), slow);
      assert.equal(!outcome.ok && outcome.failure.message, 'ran past its 1 ms deadline');
    } finally {
      slow.dispose();
    }
  });
});

describe('values and sources', () => {
  test('numbers and booleans become text, arrays are joined with commas, undefined and null write nothing', () => {
    assert.deepEqual(run('return 42'), { ok: true, value: '42' });
    assert.deepEqual(run('return [1, true, "x"]'), { ok: true, value: '1,true,x' });
    assert.deepEqual(run('return'), { ok: true, value: undefined }, 'no output at all');
    assert.deepEqual(run('return null'), { ok: true, value: undefined });
  });

  test('a source must be a function body: one closing the body is refused, as is a syntax error', () => {
    const breakout = sandbox.compile('}); (function () {');
    assert.equal(breakout.ok, false);
    const broken = sandbox.compile('return (');
    assert.equal(broken.ok, false);
    assert.match(broken.ok ? '' : broken.message, /^SyntaxError/);
  });

  test('host objects answer from the request, and cannot be replaced', () => {
    const profile: AttributeMap = new Map([
      ['user.visits', { value: '7', modifiedAt: 1 }],
      ['tier', { value: 'gold', modifiedAt: 1 }],
    ]);
    assert.deepEqual(run("return [user.get('visits'), profile.get('tier'), mbox.name, user.isNewSession]", profile), {
      ok: true,
      value: '7,gold,hero,true',
    });
    const strict = run("'use strict'; user.get = null; return 1", profile);
    assert.equal(!strict.ok && strict.failure.reason, 'threw');
    assert.deepEqual(run("return user.get('visits')", profile), { ok: true, value: '7' });
  });
});

describe('the WebAssembly memory', () => {
  test('grown by another sandbox (a new buffer), runs still read their arguments and count their steps', async () => {
    const memory = (await quickJs()) as unknown as { module: { HEAP8: Int8Array } };
    const size = memory.module.HEAP8.buffer.byteLength;
    const big = await ClientSandbox.create({ steps: 2_000, deadlineMs: 1_000, memoryBytes: 256 * 1024 * 1024, stackBytes: 256 * 1024 });
    try {
      const source = `return 'x'.repeat(${size + 1024 * 1024}).length`;
      assert.deepEqual(run(source, new Map(), big), { ok: true, value: String(size + 1024 * 1024) });
    } finally {
      big.dispose();
    }
    assert.ok(memory.module.HEAP8.buffer.byteLength > size, 'the memory grew');
    const profile: AttributeMap = new Map([['user.visits', { value: '7', modifiedAt: 1 }]]);
    assert.deepEqual(run("return Number(user.get('visits')) + 1", profile), { ok: true, value: '8' });
    assert.deepEqual(run(loop(950)), { ok: true, value: '950' });
    assert.equal(!run(loop(1_010)).ok, true, 'the budget still stops a run');
  });
});
