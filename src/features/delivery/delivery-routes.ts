import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import type { Limits } from '../../config.js';
import { BadRequestError } from '../../errors.js';
import { registerCredentialedCors } from '../../http/cors.js';
import { parseDeliveryRequest, parseSessionId } from './delivery-request.js';
import type { DeliveryService } from './delivery-service.js';

const DELIVERY_PATH = '/rest/v1/delivery';

interface DeliveryCall {
  Querystring: { client?: string | string[]; imsOrgId?: string | string[]; sessionId?: string | string[] };
  Body: unknown;
}

function single(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) throw new BadRequestError(`The ${name} query parameter is given more than once`, 'ambiguous_query');
  return value;
}

/**
 * `POST /rest/v1/delivery?client=|imsOrgId=&sessionId=` — the Delivery API
 * (docs/wire-contract.md#8-delivery). No token: browsers call it. Bodies are JSON whatever the
 * content type (at.js sends `text/plain` to avoid a preflight), up to 60 MB.
 */
export function registerDeliveryRoutes(app: FastifyInstance, deps: { delivery: DeliveryService; limits: Limits }): void {
  const { delivery, limits } = deps;

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
      const bytes = body as Buffer;
      if (bytes.length === 0) return done(new BadRequestError('Request body is empty; a JSON object with a context is required'));
      // A lossy decode would map different invalid ids onto one U+FFFD string (and merge visitors).
      if (!isUtf8(bytes)) return done(new BadRequestError('Request body is not valid UTF-8'));
      try {
        done(null, JSON.parse(bytes.toString('utf8')));
      } catch {
        done(new BadRequestError('Request body is not valid JSON'));
      }
    });
    registerCredentialedCors(scope, [DELIVERY_PATH]);

    scope.post<DeliveryCall>(DELIVERY_PATH, { bodyLimit: limits.maxDeliveryBodyBytes }, async (request, reply) => {
      const query = request.query;
      const client = await delivery.resolveClient({
        client: single(query.client, 'client'),
        imsOrgId: single(query.imsOrgId, 'imsOrgId'),
      });
      const sessionId = parseSessionId(query.sessionId);
      const call = parseDeliveryRequest(request.body, limits);
      const outcome = await delivery.deliver(client, sessionId, call);
      if (call.beacon) return reply.code(204).send();
      return outcome.response;
    });
  });
}
