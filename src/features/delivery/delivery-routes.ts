import { isUtf8 } from 'node:buffer';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { Static } from '@sinclair/typebox';
import type { Limits } from '../../config.js';
import { BadRequestError } from '../../errors.js';
import { registerCredentialedCors } from '../../http/cors.js';
import { validateQueryEarly } from '../../http/validation.js';
import { parseDeliveryRequest } from './delivery-request.js';
import { type DeliveryQuery, deliver, preflight } from './delivery-schemas.js';
import type { DeliveryService } from './delivery-service.js';

const DELIVERY_PATH = '/rest/v1/delivery';

/**
 * `POST /rest/v1/delivery?client=|imsOrgId=&sessionId=` — the Delivery API
 * (docs/wire-contract.md#8-delivery). No token: browsers call it. Bodies are JSON whatever the
 * content type (at.js sends `text/plain` to avoid a preflight), up to `limits.maxDeliveryBodyBytes` (1 MB).
 */
export function registerDeliveryRoutes(app: FastifyInstance, deps: { delivery: DeliveryService; limits: Limits; metrics: Registry }): void {
  const { delivery, limits } = deps;
  const registers = [deps.metrics];
  const rejectedTokens = new Counter({
    name: 'profile_edge_notification_tokens_rejected_total',
    help: 'Event tokens in notifications that did not verify (forged, altered, another client, retired key): counted nothing',
    registers,
  });
  const replayedNotifications = new Counter({
    name: 'profile_edge_notifications_replayed_total',
    help: 'Notifications not counted again: their id had been counted before (client retries)',
    registers,
  });
  const conditionFailures = new Counter({
    name: 'profile_edge_condition_failures_total',
    help: 'Activity conditions that failed while evaluated (they did not match)',
    registers,
  });

  /**
   * The client, from the query, before the body is read: a call for an unknown client (or without
   * a valid sessionId) never costs a body parse.
   */
  const resolveClient = async (request: FastifyRequest) => {
    validateQueryEarly(request);
    const query = request.query as Static<typeof DeliveryQuery>;
    request.client = await delivery.resolveClient({ client: query.client, imsOrgId: query.imsOrgId });
  };

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
    registerCredentialedCors(scope, [DELIVERY_PATH], preflight);

    const http = scope.withTypeProvider<TypeBoxTypeProvider>();
    http.post(
      DELIVERY_PATH,
      { schema: deliver, onRequest: resolveClient, bodyLimit: limits.maxDeliveryBodyBytes },
      async (request, reply) => {
        const call = parseDeliveryRequest(request.body, limits);
        call.headers = request.headers;
        const outcome = await delivery.deliver(request.client, request.query.sessionId, call);
        if (outcome.rejectedTokens > 0) rejectedTokens.inc(outcome.rejectedTokens);
        if (outcome.replayedNotifications > 0) replayedNotifications.inc(outcome.replayedNotifications);
        if (outcome.conditionFailures.length > 0) {
          conditionFailures.inc(outcome.conditionFailures.length);
          request.log.warn({ conditionFailures: outcome.conditionFailures.slice(0, 5) }, 'activity conditions failed while evaluated');
        }
        if (call.beacon) return reply.code(204).send();
        return outcome.response;
      },
    );
  });
}
