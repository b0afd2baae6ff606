import { STATUS_CODES } from 'node:http';
import { isUtf8 } from 'node:buffer';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { Counter, type Registry } from 'prom-client';
import type { Limits } from '../../config.js';
import { AppError, BadRequestError, InsufficientStorageError, ServiceUnavailableError } from '../../errors.js';
import { registerCredentialedCors } from '../../http/cors.js';
import { frameworkMessage } from '../../http/error-handler.js';
import { databaseErrorAsAppError } from '../../store/database-errors.js';
import type { DatastreamsService } from '../datastreams/datastreams-service.js';
import type { Datastream } from '../datastreams/datastreams-store.js';
import { edgeCall, edgePreflight, type EdgeQuery } from './edge-schemas.js';
import { EDGE_ACTIONS, type EdgeService } from './edge-service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The datastream an Edge call names by `?configId=` (set before its body is read). */
    datastream: Datastream;
  }
}

/** An RFC 7807 problem document: the error shape of the Edge Network (docs/web-sdk.md#errors). */
function sendProblem(reply: FastifyReply, status: number, code: string, detail: string): FastifyReply {
  return reply
    .code(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: `urn:profile-edge:error:${code}`, status, title: STATUS_CODES[status] ?? 'Error', detail }));
}

const ACTION_SUFFIX = new RegExp(`/v1/(${EDGE_ACTIONS.join('|')})$`);

/**
 * `POST /<base>[/<hint>]/v1/{interact|collect|privacy/set-consent|identity/acquire}?configId=` —
 * the Edge Network calls of Adobe's Web SDK (docs/web-sdk.md#routes). `<base>` is
 * PROFILE_EDGE_EDGE_BASE_PATH (`ee`), the hint segment is ignored. No token: browsers call it;
 * the datastream named by `configId` says whose profiles the call visits. Bodies are JSON
 * whatever the content type (the SDK sends `text/plain`), up to `limits.maxDeliveryBodyBytes`.
 * Every error, whichever layer raises it, is a problem document.
 */
export function registerEdgeRoutes(
  app: FastifyInstance,
  deps: { edge: EdgeService; datastreams: DatastreamsService; limits: Limits; basePath: string; metrics: Registry },
): void {
  const { edge, datastreams, limits } = deps;
  const calls = new Counter({
    name: 'profile_edge_edge_calls_total',
    help: "Adobe's Web SDK calls answered, by action; notifications among them are in the delivery counters",
    labelNames: ['action'] as const,
    registers: [deps.metrics],
  });
  // Notifications of Edge calls are counted, and refused, as Delivery's: the same counters, when registered.
  const delivery = (name: string) => deps.metrics.getSingleMetric(name) as Counter | undefined;
  const rejectedTokens = delivery('profile_edge_notification_tokens_rejected_total');
  const replayedNotifications = delivery('profile_edge_notifications_replayed_total');

  app.register(
    async (scope) => {
      scope.decorateRequest('datastream', null as unknown as Datastream);
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
        const bytes = body as Buffer;
        if (bytes.length === 0) return done(new BadRequestError('Request body is empty; a JSON object is required', 'empty_body'));
        if (!isUtf8(bytes)) return done(new BadRequestError('Request body is not valid UTF-8', 'invalid_body'));
        try {
          done(null, JSON.parse(bytes.toString('utf8')));
        } catch {
          done(new BadRequestError('Request body is not valid JSON', 'invalid_json'));
        }
      });

      scope.setErrorHandler((error: FastifyError, request, reply) => {
        const known = error instanceof AppError ? error : databaseErrorAsAppError(error);
        if (known) {
          if (known instanceof ServiceUnavailableError) reply.header('retry-after', String(known.retryAfterSeconds));
          // A full disk or an outage is expected, not a fault of this server.
          else if (known.status >= 500 && !(known instanceof InsufficientStorageError)) request.log.error({ err: error }, 'service error');
          return sendProblem(reply, known.status, known.code, known.message);
        }
        const status = error.statusCode;
        if (status !== undefined && status >= 400 && status < 500) {
          const code = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request';
          return sendProblem(reply, status, code, frameworkMessage(error, request));
        }
        request.log.error({ err: error }, 'unexpected error');
        return sendProblem(reply, 500, 'internal', 'Internal server error');
      });

      scope.setNotFoundHandler((request, reply) => {
        const path = request.url.split('?')[0]!;
        if (ACTION_SUFFIX.test(path)) {
          reply.header('allow', 'POST, OPTIONS');
          return sendProblem(reply, 405, 'method_not_allowed', `${request.method} is not answered here: the Web SDK POSTs its calls`);
        }
        return sendProblem(reply, 404, 'not_found', `No Edge route ${request.method} ${path.slice(0, 200)}`);
      });

      const paths = (withHint: boolean) => EDGE_ACTIONS.map((action) => `${withHint ? '/:hint' : ''}/v1/${action}`);
      registerCredentialedCors(scope, paths(false), edgePreflight(false));
      registerCredentialedCors(scope, paths(true), edgePreflight(true));

      /** The datastream, before the body is read: a call naming none costs no body parse. */
      const resolveDatastream = async (request: FastifyRequest) => {
        const query = request.query as Static<typeof EdgeQuery>;
        request.datastream = await datastreams.forEdgeCall(typeof query.configId === 'string' ? query.configId : undefined);
      };

      const http = scope.withTypeProvider<TypeBoxTypeProvider>();
      for (const action of EDGE_ACTIONS) {
        for (const withHint of [false, true]) {
          http.post(
            `${withHint ? '/:hint' : ''}/v1/${action}`,
            { schema: edgeCall(action, withHint), onRequest: resolveDatastream, bodyLimit: limits.maxDeliveryBodyBytes },
            async (request, reply) => {
              const headers = request.headers;
              const { answer, visit } = await edge.call({
                action,
                datastream: request.datastream,
                body: request.body as Record<string, unknown>,
                requestId: request.query.requestId,
                cookieHeader: headers.cookie,
                origin: typeof headers.origin === 'string' ? headers.origin : undefined,
                userAgent: headers['user-agent'],
                headers,
              });
              calls.inc({ action });
              if (visit && visit.rejectedTokens > 0) rejectedTokens?.inc(visit.rejectedTokens);
              if (visit && visit.replayedNotifications > 0) replayedNotifications?.inc(visit.replayedNotifications);
              if (!answer) return reply.code(204).send();
              return answer;
            },
          );
        }
      }
    },
    { prefix: `/${deps.basePath}` },
  );
}
