import type { FastifyRequest, FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { AppError } from '../errors.js';

/**
 * Request validation: route schemas (TypeBox) compiled by Fastify's Ajv, and Ajv's first error
 * turned into Target's error body with a message naming the field (`execute.mboxes[0].name must be
 * a string`), sent as JSON `{status, message}` or as the m2 XML by the central error handler.
 */

/**
 * Fastify's defaults (`coerceTypes: 'array'`, `removeAdditional: true`, `useDefaults: true`) would
 * change what a request means before anything reads it: `"5"` accepted where a number is required
 * (and 5 where a string is), unknown fields silently dropped, absent fields filled in. Here input
 * is only ever checked, never rewritten.
 */
export const AJV_OPTIONS = {
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: false,
  // The first error only (also Fastify's default: collecting every error of a hostile body costs).
  allErrors: false,
  // Errors carry the schema that failed, so its wording (below) can be found; error path only.
  verbose: true,
  // `type: ['string', 'number', 'boolean']`: Delivery's profile parameter values.
  allowUnionTypes: true,
  // String lengths in UTF-16 code units, as `.length` counts them everywhere else (Ajv's default
  // counts code points: an emoji would be one character here and two in the code behind).
  unicode: false,
  // Ajv calls `unicode` deprecated, once per start; that notice alone is dropped (it still works).
  logger: {
    log: console.log,
    warn: (...args: unknown[]) => {
      if (!String(args[0]).startsWith('DEPRECATED: option unicode')) console.warn(...args);
    },
    error: console.error,
  },
};

/** One failed check, as a wording function sees it. */
export interface FieldProblem {
  /** The field as a reader writes it: `execute.mboxes[0].name`, `sessionId`; '' for the whole body. */
  field: string;
  /** The field's parent (`execute.mboxes[0]`), '' at the top. */
  parent: string;
  /** The last step of the path as sent: a property name (not escaped) or an array index. */
  name: string;
  /** Ajv's keyword that failed: type, required, maxLength, pattern, additionalProperties, … */
  keyword: string;
  /** Ajv's parameters of that keyword (`limit`, `missingProperty`, `additionalProperty`, …). */
  params: Record<string, unknown>;
  /** The value that failed (undefined for a missing field). */
  value: unknown;
}

type Say = string | ((problem: FieldProblem) => string | undefined);

/**
 * What to say when a field fails: one message for every check, or one per Ajv keyword. A function
 * returning undefined leaves the problem to the default wording.
 */
export type Wording = Say | { readonly [keyword: string]: Say };

interface Worded {
  wording: Wording;
  status: number;
}

// Keyed by the schema object itself: nothing is added to the schema, so the OpenAPI document
// stays plain JSON Schema, and Ajv (verbose) hands the very same object back with each error.
const wordings = new WeakMap<object, Worded>();

/** Gives `schema` its own error wording, and optionally another status than 400 (a path segment naming nothing: 404). */
export function worded<T extends TSchema>(schema: T, wording: Wording, options: { status?: number } = {}): T {
  wordings.set(schema, { wording, status: options.status ?? 400 });
  return schema;
}

/** A validation failure: 400 (or the field's status) with a message naming the field. */
export class RequestValidationError extends AppError {
  constructor(status: number, message: string) {
    super(status, 'invalid_request', message);
  }
}

function readablePath(pointer: string): { field: string; parent: string; name: string } {
  let field = '';
  let parent = '';
  let name = '';
  if (pointer === '') return { field, parent, name };
  for (const step of pointer.slice(1).split('/')) {
    name = step.replace(/~1/g, '/').replace(/~0/g, '~');
    parent = field;
    // Digits are an array index: `mboxes[0]` (an object key of digits reads the same; messages only).
    field = /^\d+$/.test(name) ? `${field}[${name}]` : field === '' ? name : `${field}.${name}`;
  }
  return { field, parent, name };
}

const TYPE_WORDS: Record<string, string> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  boolean: 'true or false',
  integer: 'a whole number',
  number: 'a number',
};

function typeWords(type: unknown): string {
  // `null` where it is allowed means "absent": it is not what a sender is told to send.
  const types = [type].flat().filter((t) => t !== 'null') as string[];
  return types.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
}

function quoted(values: unknown): string {
  return [values]
    .flat()
    .map((v) => `'${String(v)}'`)
    .join(', ');
}

/** The default wording, by keyword, for a field of the body, the path or the query string. */
function defaultMessage(problem: FieldProblem, part: string): string {
  const { field, keyword, params, value } = problem;
  if (part === 'querystring') {
    // A repeated query parameter arrives as an array: ambiguous, never "the first one".
    if (keyword === 'required' || (keyword === 'minLength' && value === '')) return `The ${field} query parameter is required`;
    if (keyword === 'type' && Array.isArray(value)) return `The ${field} query parameter is given more than once`;
  }
  const subject = field === '' ? 'Request body' : field;
  switch (keyword) {
    case 'type':
      return `${subject} must be ${typeWords(params.type)}`;
    case 'required':
      return `${field} is required`;
    case 'additionalProperties':
      return `${subject} has an unknown field '${String(params.additionalProperty).slice(0, 64)}'`;
    case 'maxLength':
      return `${subject} is longer than ${params.limit} characters`;
    case 'minLength':
      return params.limit === 1 ? `${subject} must not be empty` : `${subject} is shorter than ${params.limit} characters`;
    case 'maxItems':
    case 'maxProperties':
      return `${subject}: size must be between 0 and ${params.limit}`;
    case 'minItems':
    case 'minProperties':
      return `${subject}: size must be at least ${params.limit}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${subject} must be ${params.comparison} ${params.limit}`;
    case 'enum':
      return `${subject} must be one of ${quoted(params.allowedValues)}`;
    case 'const':
      return `${subject} must be ${quoted(params.allowedValue)}`;
    case 'pattern':
      return `${subject} is not in the expected form`;
    case 'format':
      return `${subject} must be a valid ${params.format}`;
    default:
      return `${subject} is invalid`;
  }
}

function spoken(say: Say | undefined, problem: FieldProblem): string | undefined {
  return typeof say === 'function' ? say(problem) : say;
}

/** Ajv's error with the extras `verbose` adds. */
interface VerboseError extends FastifySchemaValidationError {
  parentSchema?: { properties?: Record<string, object> };
  data?: unknown;
}

/**
 * Fastify's `schemaErrorFormatter`: the first Ajv error (there is only one: `allErrors` is off)
 * becomes a RequestValidationError. For a missing field the wording is the field's own, looked up
 * in its parent's `properties`.
 */
export function schemaErrorFormatter(errors: FastifySchemaValidationError[], part: string): Error {
  const error = errors[0] as VerboseError;
  const params = error.params as Record<string, unknown>;
  let problem: FieldProblem;
  let schema: object | undefined;
  if (error.keyword === 'required') {
    const at = readablePath(error.instancePath);
    const name = String(params.missingProperty);
    const field = at.field === '' ? name : `${at.field}.${name}`;
    problem = { field, parent: at.field, name, keyword: 'required', params, value: undefined };
    schema = error.parentSchema?.properties?.[name];
  } else {
    problem = { ...readablePath(error.instancePath), keyword: error.keyword, params, value: error.data };
    schema = error.parentSchema;
  }
  const own = schema ? wordings.get(schema) : undefined;
  let message: string | undefined;
  if (own) {
    const { wording } = own;
    message = typeof wording === 'object' ? spoken(wording[problem.keyword], problem) : spoken(wording, problem);
  }
  return new RequestValidationError(own?.status ?? 400, message ?? defaultMessage(problem, part));
}

/**
 * For routes whose input a strict wire reader checks (the m2 form, the batch body): their schemas
 * document the wire for the OpenAPI reference, and nothing validates them. No validator at all is
 * compiled, so such a route costs nothing per request.
 */
export const documentationOnly: FastifySchemaCompiler<unknown> = () => undefined as never;

/**
 * Checks the query string against the route's own schema now, for a hook that needs query values
 * before the body is read (Fastify validates after reading it). Fastify checks it again later: a
 * few comparisons more, and the query's schema stays the one source of its rules.
 */
export function validateQueryEarly(request: FastifyRequest): void {
  const validate = request.getValidationFunction('querystring');
  if (validate && !validate(request.query)) {
    throw schemaErrorFormatter((validate.errors ?? []) as FastifySchemaValidationError[], 'querystring');
  }
}
