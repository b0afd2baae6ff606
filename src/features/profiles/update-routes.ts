import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Limits } from '../../config.js';
import { UriTooLongError } from '../../errors.js';
import { clientInM2Path, type ProfileApiAccess } from '../../http/profile-api-access.js';
import { documentationOnly } from '../../http/validation.js';
import { FormDecodeError, parseFormPairs, rawQueryOf } from '../../wire/form-params.js';
import { xmlResponse } from '../../wire/xml.js';
import type { ProfilesService } from './profiles-service.js';
import { updateByGet, updateByPost } from './update-schemas.js';
import { parseSingleUpdate } from './update-request.js';

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const SUCCESS = xmlResponse([
  ['success', true],
  ['message', 'Request successfully submitted'],
]);

/** `GET|POST /m2/{client}/profile/update` — the single update API (docs/wire-contract.md#5-single-profile-update). */
export function registerUpdateRoutes(
  app: FastifyInstance,
  deps: { access: ProfileApiAccess; profiles: ProfilesService; limits: Limits },
): void {
  const { access, profiles, limits } = deps;

  // An over-long query string is refused first, before the client or token is even looked at.
  const refuseLongQuery = async (request: FastifyRequest) => {
    if (Buffer.byteLength(rawQueryOf(request.url)) > limits.maxUpdateQueryBytes) {
      throw new UriTooLongError(`Query string is larger than the ${limits.maxUpdateQueryBytes / 1024} KB limit`);
    }
  };
  const onRequest = [refuseLongQuery, access.hook(clientInM2Path)];

  // Scoped to this plugin: whatever the content type, the body is read as a form string, up to
  // the 60 KB limit (Fastify answers 413 past it, reworded by the error handler). The bytes must be
  // UTF-8, whatever charset the Content-Type declares: decoding them lossily would turn broken
  // bytes into U+FFFD, and two broken ids into one (a 400 in m2 XML instead).
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => {
      try {
        done(null, STRICT_UTF8.decode(body as Buffer));
      } catch {
        done(new FormDecodeError('the request body is not valid UTF-8'), undefined);
      }
    });

    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const body = typeof request.body === 'string' ? request.body : '';
      const update = parseSingleUpdate([...parseFormPairs(rawQueryOf(request.url)), ...parseFormPairs(body)], limits);
      await profiles.updateExisting(request.client, update.ref, update.writes);
      return reply.type('application/xml').send(SUCCESS);
    };

    const options = { validatorCompiler: documentationOnly, onRequest };
    scope.get('/m2/:client/profile/update', { ...options, schema: updateByGet }, handler);
    scope.post('/m2/:client/profile/update', { ...options, schema: updateByPost, bodyLimit: limits.maxUpdateBodyBytes }, handler);
  });
}
