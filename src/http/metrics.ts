import type { FastifyInstance, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { Type } from '@sinclair/typebox';
import { ADMIN_KEY, restErrors } from './schemas.js';

/**
 * Prometheus metrics: request durations by route and status, plus Node's process metrics. Served
 * at `GET /metrics` behind the admin key (Prometheus: `authorization: {credentials: <admin key>}`).
 */
export function registerMetrics(app: FastifyInstance, authorize: (header: string | undefined) => Promise<void>): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'profile_edge_' });
  const duration = new Histogram({
    name: 'profile_edge_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry],
  });

  // A callback hook, not an async one: no promise per request on the hot path.
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL: ids in paths would explode the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });

  const schema = {
    summary: 'Prometheus metrics',
    tags: ['Operations'],
    security: ADMIN_KEY,
    response: {
      200: { description: 'Metrics in the Prometheus text format', content: { 'text/plain': { schema: Type.String() } } },
      ...restErrors(401, 403),
    },
  };
  const onRequest = async (request: FastifyRequest) => authorize(request.headers.authorization);
  app.get('/metrics', { schema, onRequest }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
  return registry;
}
