import type { QuickJSContext, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten';

/**
 * The CPU budget of a script, in interpreter steps: QuickJS counts one step per function call and
 * per backward jump (each loop iteration), and calls the runtime's interrupt handler when its
 * counter runs out — every 10,000 steps, a constant of the build. That is too coarse for a budget
 * of 2,000 (Target's, in instructions), and the counter carries over from one script to the next,
 * so a script would be stopped after anything from 1 to 10,000 steps.
 *
 * So the counter is set before each script: it is a 32-bit field of the QuickJS context in the
 * WebAssembly memory, whose offset is found once per process (`calibrate`): while the handler runs
 * the field holds exactly 10,000, and writing it changes when the handler is next called. The
 * calibration then proves the write works (a loop of budget + 10 steps is stopped, one of budget −
 * 10 is not); if it does not (another QuickJS build), `coarse` is set and budgets are counted in
 * handler calls of 10,000 steps each, still with the wall-clock deadline.
 *
 * Native work that takes no steps (a regular expression backtracking) polls the same counter from
 * QuickJS's regexp engine; `String.prototype.repeat` and large arrays are bounded by the memory cap.
 */

/** QuickJS's own interval between interrupt checks (JS_INTERRUPT_COUNTER_INIT). */
export const QUICKJS_CHECK_INTERVAL = 10_000;

export interface StepCounter {
  /** Sets the steps left before the interrupt handler is next called. */
  set(steps: number): void;
  /** False: the counter could not be found; the handler is called every 10,000 steps. */
  readonly exact: boolean;
}

interface ModuleInternals {
  module: { HEAP8: Int8Array };
}

let offset: number | null | undefined;

/** The counter of `context`, once the offset is known (`calibrate`). */
export function stepCounter(quickjs: QuickJSWASMModule, context: QuickJSContext): StepCounter {
  if (offset === undefined) offset = calibrate(quickjs);
  const found = offset;
  if (found === null) return { set: () => {}, exact: false };
  const memory = (quickjs as unknown as ModuleInternals).module;
  const address = (contextPointer(context) + found) >> 2;
  let view = new Int32Array(memory.HEAP8.buffer);
  return {
    exact: true,
    set(steps: number) {
      // A new view when the WebAssembly memory has grown (a new buffer).
      if (view.buffer !== memory.HEAP8.buffer) view = new Int32Array(memory.HEAP8.buffer);
      view[address] = Math.max(1, Math.min(steps, QUICKJS_CHECK_INTERVAL));
    },
  };
}

function contextPointer(context: QuickJSContext): number {
  return (context as unknown as { ctx: { value: number } }).ctx.value;
}

/** The counter's offset in the context struct, proven by a run; null when it cannot be found. */
function calibrate(quickjs: QuickJSWASMModule): number | null {
  const internals = quickjs as unknown as Partial<ModuleInternals>;
  if (!internals.module?.HEAP8) return null;
  const runtime = quickjs.newRuntime();
  try {
    const context = runtime.newContext();
    try {
      const base = contextPointer(context);
      if (!Number.isInteger(base)) return null;
      let candidates: number[] | null = null;
      runtime.setInterruptHandler(() => {
        const heap = new Int32Array(internals.module!.HEAP8.buffer);
        const found: number[] = [];
        for (let at = 0; at < 4096; at += 4) if (heap[(base + at) >> 2] === QUICKJS_CHECK_INTERVAL) found.push(at);
        candidates = candidates === null ? found : candidates.filter((at) => found.includes(at));
        return false;
      });
      evalDispose(context, '(function(){ var n = 0; for (;;) { if (++n > 35000) return n; } })()');
      const list = candidates as number[] | null;
      for (const at of list ?? []) if (proves(quickjs, runtime, context, base + at)) return at;
      return null;
    } finally {
      context.dispose();
    }
  } finally {
    runtime.dispose();
  }
}

function proves(quickjs: QuickJSWASMModule, runtime: QuickJSRuntime, context: QuickJSContext, address: number): boolean {
  const heap = () => new Int32Array((quickjs as unknown as ModuleInternals).module.HEAP8.buffer);
  let calls = 0;
  runtime.setInterruptHandler(() => {
    calls++;
    return true;
  });
  const loop = (n: number) => `(function(){ var n = 0; for (;;) { if (++n >= ${n}) return n; } })()`;
  heap()[address >> 2] = 500;
  const short = evalDispose(context, loop(490));
  const shortCalls = calls;
  calls = 0;
  heap()[address >> 2] = 500;
  const long = evalDispose(context, loop(510));
  return short === 'ok' && shortCalls === 0 && long === 'interrupted' && calls === 1;
}

function evalDispose(context: QuickJSContext, code: string): 'ok' | 'interrupted' | 'error' {
  const result = context.evalCode(code);
  if (result.error) {
    const error = context.dump(result.error) as { message?: string };
    result.error.dispose();
    return error?.message === 'interrupted' ? 'interrupted' : 'error';
  }
  result.value.dispose();
  return 'ok';
}
