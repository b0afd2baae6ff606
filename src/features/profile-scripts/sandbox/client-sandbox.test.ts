import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ClientSandbox, type ScriptHost } from './client-sandbox.js';

let sandbox: ClientSandbox;
before(async () => {
  sandbox = await ClientSandbox.create({ steps: 2_000, deadlineMs: 1_000, memoryBytes: 4 * 1024 * 1024, stackBytes: 256 * 1024 });
});
after(() => sandbox.dispose());

function run(source: string, host: ScriptHost = () => null) {
  const compiled = sandbox.compile(source);
  assert.ok(compiled.ok, compiled.ok ? '' : compiled.message);
  try {
    return sandbox.run(compiled.script, host);
  } finally {
    sandbox.release(compiled.script);
  }
}

const loop = (n: number) => `var i = 0; while (i < ${n}) i++; return i`;

describe('the step budget', () => {
  test('the step counter of this QuickJS build is found, so budgets count single steps', () => {
    assert.equal(sandbox.exactSteps, true);
  });

  test('every run starts with the whole budget: a loop iteration is 2 steps, 990 of them pass each time, 1,010 are stopped', () => {
    for (let repeat = 0; repeat < 5; repeat++) assert.deepEqual(run(loop(990)), { ok: true, value: '990' });
    const stopped = run(loop(1_010));
    assert.equal(stopped.ok, false);
    assert.equal(!stopped.ok && stopped.failure.reason, 'budget');
  });

  test('a wall-clock deadline stops a run that takes steps slowly', async () => {
    const slow = await ClientSandbox.create({ steps: 1_000_000, deadlineMs: 1, memoryBytes: 4 * 1024 * 1024, stackBytes: 256 * 1024 });
    try {
      const compiled = slow.compile("for (;;) { 'x'.repeat(1000).split(''); }");
      assert.ok(compiled.ok);
      const outcome = slow.run(compiled.script, () => null);
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
    assert.deepEqual(run('return'), { ok: true, value: undefined });
    assert.deepEqual(run('return null'), { ok: true, value: null });
  });

  test('a source must be a function body: one closing the body is refused, as is a syntax error', () => {
    const breakout = sandbox.compile('}); (function () {');
    assert.equal(breakout.ok, false);
    const broken = sandbox.compile('return (');
    assert.equal(broken.ok, false);
    assert.match(broken.ok ? '' : broken.message, /^SyntaxError/);
  });

  test('host objects answer from the host, and cannot be replaced', () => {
    const host: ScriptHost = (op, a) => (op === 1 && a === 'visits' ? '7' : null);
    assert.deepEqual(run("return user.get('visits')", host), { ok: true, value: '7' });
    const strict = run("'use strict'; user.get = null; return 1", host);
    assert.equal(!strict.ok && strict.failure.reason, 'threw');
    assert.deepEqual(run("return user.get('visits')", host), { ok: true, value: '7' });
  });
});
