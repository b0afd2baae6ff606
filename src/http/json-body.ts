import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../errors.js';

/**
 * JSON bodies of the admin API: `application/json` only (anything else is a 415), valid UTF-8
 * only — a lossy decode would turn two different invalid ids into the same `\uFFFD` string and
 * merge unrelated visitors — then Fastify's own parser, which refuses `__proto__` and
 * `constructor.prototype` keys.
 */
export function registerStrictJsonBodies(scope: FastifyInstance): void {
  const parseJson = scope.getDefaultJsonParser('error', 'error');
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) return done(new BadRequestError('Request body is not valid UTF-8', 'invalid_utf8'), undefined);
    parseJson(request, bytes.toString('utf8'), done);
  });
}
