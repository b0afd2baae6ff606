import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import { map } from './schemas.js';
import { AJV_OPTIONS, schemaErrorFormatter, worded } from './validation.js';

/**
 * What the schemas do to a request: check it, never rewrite it (no coercion, no removal, no
 * defaults), count lengths as `.length` does, and say what failed with the field's name.
 */
let app: FastifyInstance;

before(async () => {
  app = Fastify({ ajv: { customOptions: AJV_OPTIONS }, schemaErrorFormatter });
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof AppError) return reply.code(error.status).send({ status: error.status, message: error.message });
    return reply.code(500).send({ status: 500, message: String(error) });
  });
  const Item = Type.Object({ name: Type.String({ maxLength: 5 }), count: Type.Optional(Type.Integer({ default: 1 })) });
  app.post(
    '/echo',
    {
      schema: {
        querystring: Type.Object({ mode: Type.Optional(Type.String()) }),
        body: Type.Object(
          {
            items: Type.Optional(Type.Array(Item)),
            tags: Type.Optional(map(Type.String())),
            closed: Type.Optional(Type.Object({ only: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
          },
          { additionalProperties: true },
        ),
      },
    },
    async (request) => ({ body: request.body, query: request.query }),
  );
  app.get(
    '/kinds/:kind',
    {
      schema: {
        params: Type.Object({
          kind: worded(Type.Unsafe<string>({ type: 'string', enum: ['a', 'b'] }), (p) => `Unknown kind '${String(p.value)}'`, {
            status: 404,
          }),
        }),
        querystring: Type.Object({ need: Type.String({ minLength: 1 }) }),
      },
    },
    async () => ({ ok: true }),
  );
  await app.ready();
});
after(() => app.close());

async function post(body: unknown, query = '') {
  const response = await app.inject({ method: 'POST', url: `/echo${query}`, payload: body as object });
  return { status: response.statusCode, body: response.json() };
}

test('a number where a string is required is refused, never turned into "5"', async () => {
  assert.deepEqual(await post({ items: [{ name: 5 }] }), { status: 400, body: { status: 400, message: 'items[0].name must be a string' } });
  assert.deepEqual(await post({ items: [{ name: 'a', count: '2' }] }), {
    status: 400,
    body: { status: 400, message: 'items[0].count must be a whole number' },
  });
});

test('unknown fields of an open object are kept as sent; a closed object refuses them, naming them', async () => {
  const kept = await post({ extra: { deep: [1] }, items: [{ name: 'a', more: true }] });
  assert.deepEqual(kept.body.body, { extra: { deep: [1] }, items: [{ name: 'a', more: true }] });
  assert.deepEqual((await post({ closed: { only: true, other: 1 } })).body.message, "closed has an unknown field 'other'");
});

test('an absent field stays absent: no default is filled in', async () => {
  assert.deepEqual((await post({ items: [{ name: 'a' }] })).body.body, { items: [{ name: 'a' }] });
});

test('lengths count UTF-16 code units, as .length does', async () => {
  assert.equal((await post({ items: [{ name: '😀😀' }] })).status, 200, '4 code units');
  assert.deepEqual((await post({ items: [{ name: '😀😀😀' }] })).body.message, 'items[0].name is longer than 5 characters');
});

test('a field is named as a reader writes it, whatever its key holds', async () => {
  assert.deepEqual((await post({ tags: { 'a/b~c': 1 } })).body.message, 'tags.a/b~c must be a string');
  assert.deepEqual((await post([1])).body.message, 'Request body must be an object');
});

test('query parameters: missing or empty is "required", repeated is "given more than once"', async () => {
  const get = async (url: string) => (await app.inject({ method: 'GET', url })).json();
  assert.deepEqual(await get('/kinds/a'), { status: 400, message: 'The need query parameter is required' });
  assert.deepEqual(await get('/kinds/a?need='), { status: 400, message: 'The need query parameter is required' });
  assert.deepEqual(await get('/kinds/a?need=1&need=2'), { status: 400, message: 'The need query parameter is given more than once' });
  assert.deepEqual((await post({}, '?mode=a&mode=b')).body.message, 'The mode query parameter is given more than once');
});

test("a field's own wording and status win", async () => {
  const response = await app.inject({ method: 'GET', url: '/kinds/c?need=1' });
  assert.deepEqual([response.statusCode, response.json()], [404, { status: 404, message: "Unknown kind 'c'" }]);
});
