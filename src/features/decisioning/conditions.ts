/**
 * Conditions: JsonLogic with exactly the semantics of Adobe's on-device decisioning engine, which
 * evaluates rules with the copy of `json-logic-js` bundled in its published build. A condition is
 * compiled once (per activity version) into JavaScript closures; evaluating it then allocates
 * nothing but its results and never re-reads the JSON.
 *
 * The semantics, rule for rule as the engine has them (each is a place where a "cleaner" JsonLogic
 * would decide differently):
 * - an object is an operation only when it has exactly one key; `{}` and objects with several keys
 *   are literal values, returned as they are, their insides never evaluated;
 * - an array evaluates to a new array of its evaluated elements; a non-array argument is a list of
 *   one (`{"var": "x"}` is `{"var": ["x"]}`);
 * - every argument of an ordinary operation is evaluated, left to right, before the operation runs
 *   (a default of `var` included); `and`, `or`, `if`/`?:` short-circuit; `filter`, `map`,
 *   `reduce`, `all`, `none`, `some` evaluate their second argument with each element as the data;
 * - comparisons are JavaScript's: `==` is loose (`"1" == 1`, `null == undefined`), `<` and `>`
 *   compare strings as strings and anything else as numbers (`"10" < "9"`, `"10" > 9`);
 *   `<` and `<=` with three arguments test `a < b < c`;
 * - `var` splits its name on `.` and walks the data with JavaScript property access (so
 *   `page.url.length` is the url's length, and inherited names resolve); a missing step gives the
 *   default, else `null`; a step that finds `null` stops there with `null`, but a final `null` is
 *   returned as `null`, not as the default; `{"var": ""}` (or `null`, or no name) is the data itself;
 * - `in` is `indexOf` on its second argument (substring of a string, element of an array), false
 *   when that argument has no `indexOf`; `cat` joins with JavaScript's `join` (`null` → "");
 *   `+` adds `parseFloat`s starting from 0, `*` multiplies `parseFloat`s but one argument comes back
 *   untouched, `-` with one argument negates; `substr` with a negative length drops from the end;
 * - truthiness inside (`!`, `!!`, `and`, `or`, `if`, the array operations) is JavaScript's except
 *   that `[]` is false; the verdict of a whole condition is plain JavaScript truthiness (the engine
 *   tests `if (result)`), so a condition that evaluates to `[]` matches;
 * - `reduce`'s third argument, the initial accumulator, is taken as written, never evaluated (the
 *   engine's bundled copy predates the fix that evaluates it); `missing` and `missing_some`
 *   re-evaluate their (already evaluated) arguments as JsonLogic, as the library does;
 * - an unknown operation fails the evaluation, as does JavaScript on values it cannot convert
 *   (the engine fails the whole request). The validator refuses unknown operations, `log` (it
 *   writes to the console), dotted operation names, `*` without arguments and `missing_some`
 *   without its list. What can still fail depends on the data: an object whose `toString` or
 *   `indexOf` is not a function (a parameter named `x.toString`), or data shaped like JsonLogic
 *   that `missing` re-evaluates.
 */

/** A compiled expression: evaluates over a decision context (or any data). */
export type Evaluate = (data: unknown) => unknown;

export interface CompiledCondition {
  /**
   * The engine's verdict on a whole rule condition: JavaScript truthiness of its value (the engine
   * tests `if (result)`), so a value of `[]` matches. For the rules of imported artifacts.
   */
  readonly test: (data: unknown) => boolean;
  /**
   * An audience's verdict: JsonLogic truthiness of its value (`[]` does not admit), what `!!` gives.
   * Artifacts this server publishes wrap each audience in `!!` before combining it with allocation
   * and dates, so the engine on the device reaches this same verdict.
   */
  readonly admits: (data: unknown) => boolean;
  /** The condition's value. */
  readonly evaluate: Evaluate;
}

/** Operations of the engine's JsonLogic (`log` is known to it but refused here). */
export const KNOWN_OPERATIONS: ReadonlySet<string> = new Set([
  '==',
  '===',
  '!=',
  '!==',
  '>',
  '>=',
  '<',
  '<=',
  '!!',
  '!',
  '%',
  'in',
  'cat',
  'substr',
  '+',
  '*',
  '-',
  '/',
  'min',
  'max',
  'merge',
  'var',
  'missing',
  'missing_some',
  'if',
  '?:',
  'and',
  'or',
  'filter',
  'map',
  'reduce',
  'all',
  'none',
  'some',
]);

/** Limits that keep compiling and evaluating a condition cheap and its recursion shallow. */
export const CONDITION_LIMITS = { maxDepth: 32, maxNodes: 2000 } as const;

export function isOperation(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 1;
}

/** JsonLogic truthiness: JavaScript's, except that an empty array is false. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value) && value.length === 0) return false;
  return !!value;
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

// biome-ignore-start lint/complexity/useArrowFunction: operations are called with the data as `this`, and
// their `prototype` matters to the library's dotted-name lookup, as in json-logic-js
// biome-ignore-start lint/suspicious/noExplicitAny: these are JavaScript's operators on untyped data, on purpose
/** The library's operation table, own keys exactly as in json-logic-js. */
const operations: Record<string, AnyFunction> = {
  '==': function (a: any, b: any) {
    // biome-ignore lint/suspicious/noDoubleEquals: JsonLogic's == is JavaScript's loose equality
    return a == b;
  },
  '===': function (a: any, b: any) {
    return a === b;
  },
  '!=': function (a: any, b: any) {
    // biome-ignore lint/suspicious/noDoubleEquals: JsonLogic's != is JavaScript's loose inequality
    return a != b;
  },
  '!==': function (a: any, b: any) {
    return a !== b;
  },
  '>': function (a: any, b: any) {
    return a > b;
  },
  '>=': function (a: any, b: any) {
    return a >= b;
  },
  '<': function (a: any, b: any, c: any) {
    return c === undefined ? a < b : a < b && b < c;
  },
  '<=': function (a: any, b: any, c: any) {
    return c === undefined ? a <= b : a <= b && b <= c;
  },
  '!!': function (a: unknown) {
    return truthy(a);
  },
  '!': function (a: unknown) {
    return !truthy(a);
  },
  '%': function (a: any, b: any) {
    return a % b;
  },
  // The engine's copy prints to the console; conditions never reach it (refused), data-made logic
  // gets the value without the print.
  log: function (a: unknown) {
    return a;
  },
  in: function (a: unknown, b: any) {
    if (!b || typeof b.indexOf === 'undefined') return false;
    return b.indexOf(a) !== -1;
  },
  cat: function (...args: unknown[]) {
    return args.join('');
  },
  substr: function (source: unknown, start: any, end: any) {
    if (end < 0) {
      const temp = String(source).substr(start);
      return temp.substr(0, temp.length + end);
    }
    return String(source).substr(start, end);
  },
  '+': function (...args: unknown[]) {
    return args.reduce((a: any, b: any) => Number.parseFloat(a) + Number.parseFloat(b), 0);
  },
  '*': function (...args: unknown[]) {
    return args.reduce((a: any, b: any) => Number.parseFloat(a) * Number.parseFloat(b));
  },
  '-': function (a: any, b: any) {
    return b === undefined ? -a : a - b;
  },
  '/': function (a: any, b: any) {
    return a / b;
  },
  min: function (...args: any[]) {
    return Math.min(...args);
  },
  max: function (...args: any[]) {
    return Math.max(...args);
  },
  merge: function (...args: unknown[]) {
    return args.reduce((a: any, b) => a.concat(b), []);
  },
  var: function (this: unknown, a: unknown, b: unknown) {
    return lookup(this, a, b === undefined ? null : b);
  },
  missing: function (this: unknown, ...args: unknown[]) {
    const missing: unknown[] = [];
    const keys = Array.isArray(args[0]) ? args[0] : args;
    for (const key of keys) {
      const value = isPrimitive(key) ? lookup(this, key, null) : compileExpression({ var: key })(this);
      if (value === null || value === '') missing.push(key);
    }
    return missing;
  },
  missing_some: function (this: unknown, needCount: any, options: any) {
    const areMissing = compileExpression({ missing: options })(this) as unknown[];
    if (options.length - areMissing.length >= needCount) return [];
    return areMissing;
  },
};
// biome-ignore-end lint/suspicious/noExplicitAny: these are JavaScript's operators on untyped data, on purpose
// biome-ignore-end lint/complexity/useArrowFunction: operations are called with the data as `this`, and

function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function');
}

/** `var`'s walk: the data itself for no name, else property access step by step. */
function lookup(data: unknown, name: unknown, notFound: unknown): unknown {
  if (name === undefined || name === '' || name === null) return data;
  let current = data;
  for (const step of String(name).split('.')) {
    if (current === null || current === undefined) return notFound;
    current = (current as Record<string, unknown>)[step];
    if (current === undefined) return notFound;
  }
  return current;
}

/** The library's lookup of an operation: own key of the table, or a dotted walk into it. */
function findOperation(name: string): AnyFunction | undefined {
  if (Object.hasOwn(operations, name) && typeof operations[name] === 'function') return operations[name];
  if (name.indexOf('.') > 0) {
    let found: unknown = operations;
    for (const part of name.split('.')) {
      if (!Object.hasOwn(found as object, part)) return undefined;
      found = (found as Record<string, unknown>)[part];
    }
    // json-logic-js calls whatever it found: a non-function fails there.
    return typeof found === 'function' ? (found as AnyFunction) : undefined;
  }
  return undefined;
}

const constant =
  (value: unknown): Evaluate =>
  () =>
    value;

function compileVar(values: readonly unknown[], args: readonly Evaluate[]): Evaluate {
  const [name] = values;
  if (args.length !== 1 || Array.isArray(name) || isOperation(name)) {
    const fn = operations.var!;
    return (data) =>
      fn.apply(
        data,
        args.map((arg) => arg(data)),
      );
  }
  if (name === undefined || name === '' || name === null) return (data) => data;
  const steps = String(name).split('.');
  if (steps.length === 1) {
    const [first] = steps as [string];
    return (data) => {
      if (data === null || data === undefined) return null;
      const value = (data as Record<string, unknown>)[first];
      return value === undefined ? null : value;
    };
  }
  if (steps.length === 2) {
    const [first, second] = steps as [string, string];
    return (data) => {
      if (data === null || data === undefined) return null;
      const outer = (data as Record<string, unknown>)[first];
      if (outer === undefined || outer === null) return null;
      const value = (outer as Record<string, unknown>)[second];
      return value === undefined ? null : value;
    };
  }
  return (data) => lookup(data, name, null);
}

/** A two-argument operation, both arguments evaluated left to right, as most conditions are. */
function compileBinary(op: string, left: Evaluate, right: Evaluate): Evaluate | undefined {
  switch (op) {
    case '==':
      // biome-ignore lint/suspicious/noDoubleEquals: JsonLogic's == is JavaScript's loose equality
      return (data) => left(data) == right(data);
    case '===':
      return (data) => left(data) === right(data);
    case '!=':
      // biome-ignore lint/suspicious/noDoubleEquals: JsonLogic's != is JavaScript's loose inequality
      return (data) => left(data) != right(data);
    case '!==':
      return (data) => left(data) !== right(data);
    case '>':
      return (data) => (left(data) as number) > (right(data) as number);
    case '>=':
      return (data) => (left(data) as number) >= (right(data) as number);
    case '<':
      return (data) => (left(data) as number) < (right(data) as number);
    case '<=':
      return (data) => (left(data) as number) <= (right(data) as number);
    case 'in':
      return (data) => {
        const needle = left(data);
        const haystack = right(data) as { indexOf?: (value: unknown) => number } | null;
        if (!haystack || typeof haystack.indexOf === 'undefined') return false;
        return haystack.indexOf(needle) !== -1;
      };
    default:
      return undefined;
  }
}

function compileScoped(op: string, values: readonly unknown[]): Evaluate {
  const scope = compileExpression(values[0]);
  const each = compileExpression(values[1]);
  switch (op) {
    case 'filter':
      return (data) => {
        const items = scope(data);
        return Array.isArray(items) ? items.filter((item) => truthy(each(item))) : [];
      };
    case 'map':
      return (data) => {
        const items = scope(data);
        return Array.isArray(items) ? items.map((item) => each(item)) : [];
      };
    case 'reduce': {
      const initial = typeof values[2] !== 'undefined' ? values[2] : null;
      return (data) => {
        const items = scope(data);
        if (!Array.isArray(items)) return initial;
        return items.reduce((accumulator, current) => each({ current, accumulator }), initial);
      };
    }
    case 'all':
      return (data) => {
        const items = scope(data);
        if (!Array.isArray(items) || !items.length) return false;
        for (const item of items) if (!truthy(each(item))) return false;
        return true;
      };
    case 'none':
      return (data) => {
        const items = scope(data);
        if (!Array.isArray(items) || !items.length) return true;
        for (const item of items) if (truthy(each(item))) return false;
        return true;
      };
    default: // some
      return (data) => {
        const items = scope(data);
        if (!Array.isArray(items) || !items.length) return false;
        for (const item of items) if (truthy(each(item))) return true;
        return false;
      };
  }
}

/** Compiles any JsonLogic value into a closure with the engine's semantics. */
export function compileExpression(logic: unknown): Evaluate {
  if (Array.isArray(logic)) {
    const items = logic.map(compileExpression);
    return (data) => items.map((item) => item(data));
  }
  if (!isOperation(logic)) return constant(logic);

  const op = Object.keys(logic)[0]!;
  const raw = logic[op];
  const values: readonly unknown[] = Array.isArray(raw) ? raw : [raw];

  if (op === 'if' || op === '?:') {
    const parts = values.map(compileExpression);
    return (data) => {
      let i = 0;
      for (; i < parts.length - 1; i += 2) if (truthy(parts[i]!(data))) return parts[i + 1]!(data);
      if (parts.length === i + 1) return parts[i]!(data);
      return null;
    };
  }
  if (op === 'and' || op === 'or') {
    const parts = values.map(compileExpression);
    const stopOn = op === 'or';
    return (data) => {
      let current: unknown;
      for (const part of parts) {
        current = part(data);
        if (truthy(current) === stopOn) return current;
      }
      return current;
    };
  }
  if (op === 'filter' || op === 'map' || op === 'reduce' || op === 'all' || op === 'none' || op === 'some') {
    return compileScoped(op, values);
  }

  const args = values.map(compileExpression);
  const operation = findOperation(op);
  if (!operation) {
    return (data) => {
      for (const arg of args) arg(data);
      throw new Error(`Unrecognized operation ${op}`);
    };
  }
  if (op === 'var') return compileVar(values, args);
  if (args.length === 2) {
    const binary = compileBinary(op, args[0]!, args[1]!);
    if (binary) return binary;
  }
  if (args.length === 1 && (op === '!' || op === '!!')) {
    const [arg] = args as [Evaluate];
    return op === '!' ? (data) => !truthy(arg(data)) : (data) => truthy(arg(data));
  }
  return (data) =>
    operation.apply(
      data,
      args.map((arg) => arg(data)),
    );
}

/** Compiles a condition (already validated by `conditionProblem`). */
export function compileCondition(logic: unknown): CompiledCondition {
  const evaluate = compileExpression(logic);
  return { evaluate, test: (data) => !!evaluate(data), admits: (data) => truthy(evaluate(data)) };
}

/**
 * Why a condition cannot be stored, naming where in it (`and[1].contains`), or null when it can:
 * every operation must be one the engine knows (`log` excluded), with a plain name, and the
 * condition must stay within `CONDITION_LIMITS`.
 */
export function conditionProblem(logic: unknown): string | null {
  let nodes = 0;
  const visit = (value: unknown, where: string, depth: number): string | null => {
    if (++nodes > CONDITION_LIMITS.maxNodes) return `has more than ${CONDITION_LIMITS.maxNodes} parts`;
    if (depth > CONDITION_LIMITS.maxDepth) return `is nested deeper than ${CONDITION_LIMITS.maxDepth} levels at ${where || 'the top'}`;
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) {
        const problem = visit(item, `${where}[${i}]`, depth + 1);
        if (problem) return problem;
      }
      return null;
    }
    if (!isOperation(value)) return null; // a literal: objects with 0 or several keys are data
    const op = Object.keys(value)[0]!;
    const here = where ? `${where}.${op}` : op;
    if (!KNOWN_OPERATIONS.has(op)) {
      const known = [...KNOWN_OPERATIONS].join(' ');
      return `has an unknown operator "${op.slice(0, 40)}" at ${here} (known: ${known})`;
    }
    const args = value[op];
    const count = Array.isArray(args) ? args.length : 1;
    // Always fail when evaluated: JavaScript's reduce of nothing, and no list to read a length from.
    if (op === '*' && count === 0) return `has * without arguments at ${here}`;
    if (op === 'missing_some' && count < 2) return `has missing_some without its list of names at ${here}`;
    return visit(args, here, depth + 1);
  };
  return visit(logic, '', 0);
}

/**
 * The top-level names of the context a condition reads (`profile`, `mbox`, `page` …), or `'any'`
 * when that cannot be known without evaluating it (a computed `var` name, the whole data, `missing`).
 * Lets the caller skip building parts of the context no live condition reads.
 */
export function conditionReads(logic: unknown): ReadonlySet<string> | 'any' {
  const roots = new Set<string>();
  let any = false;
  const visit = (value: unknown, scoped: boolean): void => {
    if (any) return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, scoped);
      return;
    }
    if (!isOperation(value)) return;
    const op = Object.keys(value)[0]!;
    const raw = value[op];
    const values: readonly unknown[] = Array.isArray(raw) ? raw : [raw];
    if (op === 'missing' || op === 'missing_some') {
      any = true;
      return;
    }
    if (op === 'var') {
      const [name] = values;
      if (Array.isArray(name) || isOperation(name)) any = true;
      else if (!scoped) {
        if (name === undefined || name === '' || name === null) any = true;
        else roots.add(String(name).split('.')[0]!);
      }
      for (const rest of values.slice(1)) visit(rest, scoped);
      return;
    }
    if (op === 'filter' || op === 'map' || op === 'reduce' || op === 'all' || op === 'none' || op === 'some') {
      visit(values[0], scoped);
      visit(values[1], true); // reads the elements, not the context
      return;
    }
    for (const item of values) visit(item, scoped);
  };
  visit(logic, false);
  return any ? 'any' : roots;
}
