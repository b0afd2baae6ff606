import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Limits } from '../../config.js';
import { UriTooLongError } from '../../errors.js';
import type { ProfileApiAccess } from '../../http/profile-api-access.js';
import { parseFormPairs, rawQueryOf } from '../../wire/form-params.js';
import { xmlResponse } from '../../wire/xml.js';
import type { ProfilesService } from './profiles-service.js';
import { parseSingleUpdate } from './update-request.js';

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

  // Scoped to this plugin: whatever the content type, the body is read as a form string, up to
  // the 60 KB limit (Fastify answers 413 past it, reworded by the error handler).
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    const handler = async (request: FastifyRequest<{ Params: { client: string }; Body?: string }>) => {
      const query = rawQueryOf(request.url);
      if (Buffer.byteLength(query) > limits.maxUpdateQueryBytes) {
        throw new UriTooLongError(`Query string is larger than the ${limits.maxUpdateQueryBytes / 1024} KB limit`);
      }
      const body = typeof request.body === 'string' ? request.body : '';
      const client = await access.authorize(request, request.params.client);
      const update = parseSingleUpdate([...parseFormPairs(query), ...parseFormPairs(body)], limits);
      await profiles.updateExisting(client, update.ref, update.writes);
      return SUCCESS;
    };

    const routeOptions = { bodyLimit: limits.maxUpdateBodyBytes };
    scope.get('/m2/:client/profile/update', (request, reply) =>
      handler(request as FastifyRequest<{ Params: { client: string } }>).then((xml) => reply.type('application/xml').send(xml)),
    );
    scope.post('/m2/:client/profile/update', routeOptions, (request, reply) =>
      handler(request as FastifyRequest<{ Params: { client: string }; Body?: string }>).then((xml) =>
        reply.type('application/xml').send(xml),
      ),
    );
  });
}
