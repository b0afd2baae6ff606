import type { FastifyInstance } from 'fastify';
import { health } from './health-schemas.js';

/** `GET /healthz`: 200 once the server accepts traffic and its store answers. */
export function registerHealthRoutes(app: FastifyInstance, deps: { ping: () => Promise<void> }): void {
  app.get('/healthz', { schema: health }, async (_request, reply) => {
    try {
      await deps.ping();
      return { status: 'ok' };
    } catch {
      reply.code(503);
      return { status: 503, message: 'store unavailable' };
    }
  });
}
