import { performance } from 'node:perf_hooks';
import { getQuickJS, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime, type QuickJSWASMModule } from 'quickjs-emscripten';
import { QUICKJS_CHECK_INTERVAL, type StepCounter, stepCounter } from './budget.js';
import { PRELUDE } from './prelude.js';

/**
 * One client's sandbox (docs/adr/008-script-sandbox.md): a QuickJS runtime with its own memory cap
 * and stack limit, one context in it, Target's objects built once (prelude.ts), and the client's
 * scripts compiled into it once per version. Nothing of Node is reachable from inside: the global
 * object holds the ECMAScript built-ins (frozen) and Target's objects, whose every answer comes from
 * `ScriptHost`, the request being served, which the caller swaps per request. Other clients live in
 * other runtimes: no value, handle or memory is shared between clients.
 *
 * Each run gets the same budget: `steps` interpreter steps (budget.ts), a wall-clock `deadlineMs`,
 * checked at least every 100 steps, and the runtime's memory cap; a script that passes one is
 * stopped where it is (QuickJS raises an uncatchable "interrupted" error) and reported.
 */

export interface SandboxLimits {
  /** Interpreter steps per run: each function call and each loop iteration is one. */
  steps: number;
  /** Wall-clock time per run, in milliseconds. */
  deadlineMs: number;
  /** The runtime's heap cap (all of a client's scripts share it), in bytes. */
  memoryBytes: number;
  /** The runtime's stack limit, in bytes. */
  stackBytes: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  steps: 2_000,
  deadlineMs: 5,
  memoryBytes: 8 * 1024 * 1024,
  stackBytes: 256 * 1024,
};

/** Why a run failed: past its budget or deadline, out of memory or stack, it threw, or its value is too long. */
export type ScriptFailureReason = 'budget' | 'memory' | 'threw' | 'tooLong';

export interface ScriptFailure {
  reason: ScriptFailureReason;
  message: string;
}

/** A run completed (its value and locals are kept in the sandbox until `finish`), or why it failed. */
export type RunOutcome = { ok: true } | { ok: false; failure: ScriptFailure };

export type HostValue = string | number | boolean | null | undefined;

/** What the objects inside a script read and write: the request being served. */
export type ScriptHost = (op: number, a: HostValue, b: HostValue) => HostValue;

/** A script compiled in a sandbox; disposed with `release`. */
export interface CompiledScript {
  readonly handle: QuickJSHandle;
}

/** How often the deadline is checked, in steps (a backtracking regular expression polls in the same units). */
const CHUNK_STEPS = 100;

let shared: Promise<QuickJSWASMModule> | undefined;

const FAST_ARGS = 4;

/** The C API of QuickJS as quickjs-emscripten exposes it internally (the hot path of `ClientSandbox.call`). */
interface FastCall {
  ctx: number;
  argv: number;
  /** The argument buffer, viewed as four pointers (a new view when the memory has grown). */
  args(): Int32Array;
  free: (pointer: number) => void;
  ffi: {
    QTS_Call(ctx: number, fn: unknown, self: unknown, argc: number, argv: number): number;
    QTS_ResolveException(ctx: number, value: number): number;
    QTS_FreeValuePointer(ctx: number, value: number): void;
  };
  memory: { heapValueHandle(pointer: number): QuickJSHandle };
}

type ModuleHeap = { HEAP8?: Int8Array; _malloc?: (n: number) => number; _free?: (p: number) => void };

function fastCallOf(quickjs: QuickJSWASMModule, context: QuickJSContext): FastCall | null {
  const internals = context as unknown as { ffi?: FastCall['ffi']; memory?: FastCall['memory']; ctx?: { value: number } };
  const module = (quickjs as unknown as { module?: ModuleHeap }).module;
  if (
    typeof internals.ffi?.QTS_Call !== 'function' ||
    typeof internals.ffi.QTS_ResolveException !== 'function' ||
    typeof internals.ffi.QTS_FreeValuePointer !== 'function' ||
    typeof internals.memory?.heapValueHandle !== 'function' ||
    typeof internals.ctx?.value !== 'number' ||
    !module?.HEAP8 ||
    typeof module._malloc !== 'function' ||
    typeof module._free !== 'function'
  ) {
    return null;
  }
  const heapOf = module;
  const argv = module._malloc(FAST_ARGS * 4);
  let view = new Int32Array(heapOf.HEAP8!.buffer, argv, FAST_ARGS);
  return {
    ctx: internals.ctx.value,
    argv,
    args() {
      // The WebAssembly memory may have grown: a new buffer, so a new view.
      if (view.buffer !== heapOf.HEAP8!.buffer) view = new Int32Array(heapOf.HEAP8!.buffer, argv, FAST_ARGS);
      return view;
    },
    free: module._free.bind(module),
    ffi: internals.ffi,
    memory: internals.memory,
  };
}

/** The QuickJS WebAssembly module, loaded once per process. */
export function quickJs(): Promise<QuickJSWASMModule> {
  shared ??= getQuickJS();
  return shared;
}

export class ClientSandbox {
  private readonly context: QuickJSContext;
  private readonly counter: StepCounter;
  private readonly beginner: QuickJSHandle;
  private readonly runner: QuickJSHandle;
  private readonly finisher: QuickJSHandle;
  private readonly compiler: QuickJSHandle;
  /** Number handles for script and location positions, made once. */
  private readonly numbers: QuickJSHandle[] = [];
  private host: ScriptHost | null = null;
  // Unbounded while the sandbox is built (the prelude freezes every built-in); each run sets its own.
  private stepsLeft = Number.POSITIVE_INFINITY;
  private deadline = Number.POSITIVE_INFINITY;
  private stopped: 'steps' | 'deadline' | null = null;
  private disposed = false;
  /** Every compiled script not yet released: disposed with the sandbox (QuickJS refuses to free a runtime holding values). */
  private readonly held = new Set<QuickJSHandle>();
  /** quickjs-emscripten's internals the hot path calls directly; null when this build does not have them. */
  private readonly fast: FastCall | null;

  private constructor(
    quickjs: QuickJSWASMModule,
    private readonly runtime: QuickJSRuntime,
    readonly limits: SandboxLimits,
  ) {
    runtime.setMemoryLimit(limits.memoryBytes);
    runtime.setMaxStackSize(limits.stackBytes);
    runtime.setInterruptHandler(() => this.onInterruptCheck());
    this.context = runtime.newContext();
    this.counter = stepCounter(quickjs, this.context);
    const context = this.context;
    const hostFunction = context.newFunction('host', (op, a, b) => this.answer(op, a, b));
    const prelude = context.unwrapResult(context.evalCode(PRELUDE, 'prelude.js'));
    const parts = context.unwrapResult(context.callFunction(prelude, context.undefined, hostFunction));
    this.beginner = context.getProp(parts, 0);
    this.runner = context.getProp(parts, 1);
    this.finisher = context.getProp(parts, 2);
    this.compiler = context.getProp(parts, 3);
    parts.dispose();
    prelude.dispose();
    hostFunction.dispose();
    this.fast = fastCallOf(quickjs, context);
  }

  static async create(limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS): Promise<ClientSandbox> {
    const quickjs = await quickJs();
    return new ClientSandbox(quickjs, quickjs.newRuntime(), limits);
  }

  /** Whether budgets count exact steps (budget.ts), or handler calls of 10,000 steps. */
  get exactSteps(): boolean {
    return this.counter.exact;
  }

  /** Compiles a script body; a syntax error answers the compiler's message. */
  compile(source: string): { ok: true; script: CompiledScript } | { ok: false; message: string } {
    const problem = bodySyntaxProblem(source);
    if (problem) return { ok: false, message: problem };
    const text = this.context.newString(source);
    try {
      const result = this.trusted(() => this.context.callFunction(this.compiler, this.context.undefined, text));
      if (result.error) {
        const message = this.errorText(result.error);
        result.error.dispose();
        return { ok: false, message };
      }
      this.held.add(result.value);
      return { ok: true, script: { handle: result.value } };
    } finally {
      text.dispose();
    }
  }

  release(script: CompiledScript): void {
    if (!this.disposed && script.handle.alive) script.handle.dispose();
    this.held.delete(script.handle);
  }

  /**
   * Starts a request: `data` is what its scripts may read (JSON, built by script-runs.ts), `host`
   * answers the rest. Then `run` each script, then `finish`.
   */
  begin(data: string, host: ScriptHost): void {
    this.host = host;
    const text = this.context.newString(data);
    try {
      const error = this.trusted(() => this.call(this.beginner, text));
      if (error) {
        const message = this.errorText(error);
        error.dispose();
        throw new Error(`the sandbox refused the request: ${message}`);
      }
    } finally {
      text.dispose();
    }
  }

  /** Runs one script (its position in the request's list) for one location, within its budget. */
  run(script: CompiledScript, index: number, location: number): RunOutcome {
    const error = this.guarded(() => this.call(this.runner, script.handle, this.number(index), this.number(location)));
    if (error) {
      const failure = this.failureOf(error);
      error.dispose();
      return { ok: false, failure };
    }
    // Promise jobs the script queued (async functions, import()) run now, on its budget, or never.
    if (this.runtime.hasPendingJob()) {
      const jobs = this.guarded(() => this.runtime.executePendingJobs(-1), false);
      // A job stopped by the budget may surface only as a rejected promise: `stopped` tells.
      const stopped = this.stopped;
      let failure: ScriptFailure | null = null;
      if (jobs.error) {
        failure = this.failureOf(jobs.error);
        jobs.error.dispose();
      } else jobs.dispose();
      if (stopped !== null) failure = this.stoppedFailure(stopped);
      if (failure && failure.reason !== 'threw') return { ok: false, failure };
    }
    return { ok: true };
  }

  /** Ends the request: every completed run's value and locals, as JSON (`{name: [value, locals]}`). */
  finish(): string {
    try {
      const result = this.trusted(() => this.callKeeping(this.finisher));
      if (!result.ok) {
        const message = this.errorText(result.error);
        result.error.dispose();
        throw new Error(`the sandbox could not give the request back: ${message}`);
      }
      try {
        return this.context.getString(result.value);
      } finally {
        result.value.dispose();
      }
    } finally {
      this.host = null;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const handle of this.held) if (handle.alive) handle.dispose();
    this.held.clear();
    for (const handle of this.numbers) handle.dispose();
    if (this.fast) this.fast.free(this.fast.argv);
    this.beginner.dispose();
    this.runner.dispose();
    this.finisher.dispose();
    this.compiler.dispose();
    this.context.dispose();
    this.runtime.dispose();
  }

  /**
   * Calls `fn(...args)` and frees its value; answers the thrown value's handle, or null. The hot
   * path: straight through QuickJS's C API with one argument buffer allocated per sandbox, rather
   * than quickjs-emscripten's `callFunction`, whose per-call allocations (an argument array in the
   * WebAssembly heap, lifetimes, a scope) cost more than a short script's run (ADR 008).
   */
  private call(fn: QuickJSHandle, ...args: QuickJSHandle[]): QuickJSHandle | null {
    const fast = this.fast;
    if (!fast || args.length > FAST_ARGS) {
      const result = this.context.callFunction(fn, this.context.undefined, ...args);
      if (result.error) return result.error;
      result.value.dispose();
      return null;
    }
    const heap = fast.args();
    for (let i = 0; i < args.length; i++) heap[i] = args[i]!.value as unknown as number;
    const resultPtr = fast.ffi.QTS_Call(fast.ctx, fn.value, this.context.undefined.value, args.length, fast.argv);
    const errorPtr = fast.ffi.QTS_ResolveException(fast.ctx, resultPtr);
    fast.ffi.QTS_FreeValuePointer(fast.ctx, resultPtr);
    return errorPtr ? fast.memory.heapValueHandle(errorPtr) : null;
  }

  /** `fn()`, keeping its value (the caller disposes it): the same C API path as `call`. */
  private callKeeping(fn: QuickJSHandle): { ok: true; value: QuickJSHandle } | { ok: false; error: QuickJSHandle } {
    const fast = this.fast;
    if (!fast) {
      const result = this.context.callFunction(fn, this.context.undefined);
      return result.error ? { ok: false, error: result.error } : { ok: true, value: result.value };
    }
    const resultPtr = fast.ffi.QTS_Call(fast.ctx, fn.value, this.context.undefined.value, 0, fast.argv);
    const errorPtr = fast.ffi.QTS_ResolveException(fast.ctx, resultPtr);
    if (errorPtr) {
      fast.ffi.QTS_FreeValuePointer(fast.ctx, resultPtr);
      return { ok: false, error: fast.memory.heapValueHandle(errorPtr) };
    }
    return { ok: true, value: fast.memory.heapValueHandle(resultPtr) };
  }

  private number(n: number): QuickJSHandle {
    while (this.numbers.length <= n) this.numbers.push(this.context.newNumber(this.numbers.length));
    return this.numbers[n]!;
  }

  /** The prelude's own work (parsing the request, answering outputs): no step budget, no deadline. */
  private trusted<T>(call: () => T): T {
    this.stepsLeft = Number.POSITIVE_INFINITY;
    this.deadline = Number.POSITIVE_INFINITY;
    this.stopped = null;
    return call();
  }

  /** Runs `call` with a fresh budget (and a fresh step counter). */
  private guarded<T>(call: () => T, fresh = true): T {
    if (fresh) {
      this.stepsLeft = this.counter.exact ? this.limits.steps : Math.ceil(this.limits.steps / QUICKJS_CHECK_INTERVAL) + 1;
      this.deadline = performance.now() + this.limits.deadlineMs;
      this.stopped = null;
      if (this.counter.exact) this.nextChunk();
    }
    return call();
  }

  private nextChunk(): void {
    const chunk = Math.min(this.stepsLeft, CHUNK_STEPS);
    this.stepsLeft -= chunk;
    this.counter.set(chunk);
  }

  /** Called by QuickJS when the step counter runs out: true stops the script. */
  private onInterruptCheck(): boolean {
    if (performance.now() > this.deadline) {
      this.stopped = 'deadline';
      return true;
    }
    if (!this.counter.exact) {
      if (--this.stepsLeft > 0) return false;
      this.stopped = 'steps';
      return true;
    }
    if (this.stepsLeft <= 0) {
      this.stopped = 'steps';
      return true;
    }
    this.nextChunk();
    return false;
  }

  private answer(opHandle: QuickJSHandle, aHandle: QuickJSHandle | undefined, bHandle: QuickJSHandle | undefined): QuickJSHandle {
    const context = this.context;
    const host = this.host;
    if (!host) return context.null;
    const value = host(context.getNumber(opHandle), this.read(aHandle), this.read(bHandle));
    if (value === undefined) return context.undefined;
    if (value === null) return context.null;
    if (typeof value === 'string') return context.newString(value);
    if (typeof value === 'number') return context.newNumber(value);
    return value ? context.true : context.false;
  }

  private read(handle: QuickJSHandle | undefined): HostValue {
    if (handle === undefined) return undefined;
    const type = this.context.typeof(handle);
    if (type === 'string') return this.context.getString(handle);
    if (type === 'number') return this.context.getNumber(handle);
    if (type === 'undefined') return undefined;
    return null;
  }

  private failureOf(error: QuickJSHandle): ScriptFailure {
    const stopped = this.stopped;
    const { name, message } = this.errorParts(error);
    if (name === 'InternalError' && message === 'interrupted') return this.stoppedFailure(stopped ?? 'steps');
    if (name === 'InternalError' && (message === 'out of memory' || message === 'string too long')) {
      return { reason: 'memory', message: `ran out of memory (cap ${Math.round(this.limits.memoryBytes / 1024)} KB)` };
    }
    if (name === 'InternalError' && message === 'stack overflow') {
      return { reason: 'memory', message: `ran out of stack (limit ${Math.round(this.limits.stackBytes / 1024)} KB)` };
    }
    return { reason: 'threw', message: (name ? `${name}: ${message}` : message).slice(0, 500) };
  }

  private stoppedFailure(stopped: 'steps' | 'deadline'): ScriptFailure {
    return stopped === 'deadline'
      ? { reason: 'budget', message: `ran past its ${this.limits.deadlineMs} ms deadline` }
      : { reason: 'budget', message: `ran past its budget of ${this.limits.steps} steps (function calls and loop iterations)` };
  }

  private errorText(error: QuickJSHandle): string {
    const { name, message } = this.errorParts(error);
    return (name ? `${name}: ${message}` : message).slice(0, 500);
  }

  /** `name` and `message` of a thrown value; a getter of a hostile error object runs on a fresh budget. */
  private errorParts(error: QuickJSHandle): { name: string; message: string } {
    const context = this.context;
    if (context.typeof(error) !== 'object') {
      const type = context.typeof(error);
      return {
        name: '',
        message: type === 'string' ? `threw ${JSON.stringify(context.getString(error).slice(0, 200))}` : `threw a ${type}`,
      };
    }
    const read = (key: string): string => {
      const handle = this.guarded(() => context.getProp(error, key));
      try {
        return context.typeof(handle) === 'string' ? context.getString(handle) : '';
      } finally {
        handle.dispose();
      }
    };
    return { name: read('name'), message: read('message') || 'threw an object' };
  }
}

/**
 * Why `source` is not a function body, or null. Checked with the host's parser, which reads the
 * source as a function body on its own: QuickJS's `Function` constructor pastes it between braces,
 * so a source such as `}); doSomething(); (function(){` would run code when compiled. The host's
 * function is made, never called.
 */
export function bodySyntaxProblem(source: string): string | null {
  try {
    new Function(source);
    return null;
  } catch (error) {
    return error instanceof SyntaxError ? `SyntaxError: ${error.message}` : 'the source does not compile';
  }
}
