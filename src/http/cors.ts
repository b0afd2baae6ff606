import type { FastifyInstance, FastifySchema } from 'fastify';

// A header list as browsers send it in Access-Control-Request-Headers: tokens and commas only.
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

/**
 * Credentialed CORS for endpoints called from web pages (docs/wire-contract.md#85-cors). at.js
 * sends `withCredentials`, so `*` would be refused: the request's Origin is echoed with
 * `Access-Control-Allow-Credentials: true`, and `Vary: Origin` keeps shared caches honest. The
 * headers are set before the handler runs, so error answers carry them too and a page can read
 * our `{status, message}`. `OPTIONS` preflights on `paths` answer 204, allowing the headers asked for.
 */
export function registerCredentialedCors(
  scope: FastifyInstance,
  paths: readonly string[],
  /** The preflight route's schema (for the API reference). */
  schema: FastifySchema,
  methods = 'POST, OPTIONS',
): void {
  scope.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-allow-credentials', 'true');
    }
    reply.header('vary', 'Origin');
  });

  for (const path of paths) {
    scope.options(path, { schema }, async (request, reply) => {
      reply.header('access-control-allow-methods', methods);
      const asked = request.headers['access-control-request-headers'];
      if (typeof asked === 'string' && HEADER_LIST.test(asked.trim())) {
        reply.header('access-control-allow-headers', asked.trim());
      }
      reply.header('access-control-max-age', '600');
      reply.header('vary', 'Origin, Access-Control-Request-Headers');
      return reply.code(204).send();
    });
  }
}
