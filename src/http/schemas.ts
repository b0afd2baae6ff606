import { type Static, type TSchema, type TUnsafe, Type } from '@sinclair/typebox';

/**
 * Schema pieces shared by the features' `*-schemas.ts`: nullable fields, maps, string enums, and
 * the error answers of both endpoint families (REST `{status, message}`, m2 XML).
 *
 * A schema wrapped by `worded()` (src/http/validation.ts) is found again by object identity, and
 * `Type.Optional` copies its argument: `worded(Type.Optional(x), …)`, never the other way round.
 */

/** `schema`, or null where the reader counts null as absent (Delivery). */
export function orNull<T extends TSchema>(schema: T): TUnsafe<Static<T> | null> {
  const type = (schema as { type?: unknown }).type;
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [type, 'null'].flat() });
}

/**
 * An object of any keys, each holding `value`. (Not `Type.Record`, whose `^.*$` key pattern
 * skips keys holding a line break: their values would go unchecked.)
 */
export function map<T extends TSchema>(value: T, options: { description?: string } = {}): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>({ type: 'object', additionalProperties: value, ...options });
}

/** One of `values`, as a plain JSON Schema `enum`. */
export function stringEnum<const V extends readonly string[]>(values: V, options: { description?: string } = {}): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });
}

/** Any JSON value: a field that is accepted whatever it holds (documented, never checked). */
export function anything(description: string): TUnsafe<unknown> {
  return Type.Unsafe<unknown>({ description });
}

export const ClientParams = Type.Object({
  client: Type.String({ description: "The client code (Target's client code), e.g. `demo`" }),
});

/** Target's REST error body. */
export const RestError = Type.Object(
  {
    status: Type.Integer({ description: 'The HTTP status, repeated' }),
    message: Type.String({ description: 'What went wrong, naming the field or limit' }),
  },
  { description: 'An error, in Target’s shape' },
);

const ERROR_MEANINGS: Record<number, string> = {
  400: 'Invalid input; the message names the field',
  401: 'No credentials where they are required',
  403: 'Credentials that are not valid for this call',
  404: 'Unknown client, id, profile or batch',
  409: 'A conflict with stored data',
  412: 'If-Match names another version than the stored one',
  413: 'Request body over the limit of this endpoint',
  414: 'Query string over the limit of this endpoint',
  415: 'Unsupported Content-Type',
  503: 'Temporarily unavailable (the database out of reach or busy, or a rate limit: see Retry-After)',
  507: 'The server is out of disk space: nothing was stored; retry once space has been freed',
};

/** The REST error answers a route can give. */
export function restErrors(...statuses: number[]): Record<number, TSchema> {
  const answers: Record<number, TSchema> = {};
  for (const status of statuses) answers[status] = Type.Object(RestError.properties, { description: ERROR_MEANINGS[status] });
  return answers;
}

const M2_FAILURE = '<response><success>false</success><message>mboxPC or mbox3rdPartyId is required</message></response>';

/** An m2 XML answer (`Content-Type: application/xml`). */
export function m2Xml(description: string, example: string): TSchema {
  return { description, content: { 'application/xml': { schema: Type.String({ examples: [example] }) } } } as unknown as TSchema;
}

/** The m2 error answers (`<response><success>false</success><message>…</message></response>`). */
export function m2Errors(...statuses: number[]): Record<number, TSchema> {
  const answers: Record<number, TSchema> = {};
  for (const status of statuses) answers[status] = m2Xml(ERROR_MEANINGS[status] ?? 'Error', M2_FAILURE);
  return answers;
}

/** Bearer credentials, by kind (OpenAPI security requirements). */
export const PROFILE_TOKEN = [{ profileToken: [] }];
export const ADMIN_KEY = [{ adminKey: [] }];
