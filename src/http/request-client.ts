import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ClientsService } from '../features/clients/clients-service.js';
import type { ClientSettings } from '../features/clients/clients-store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The client (tenant) the request is for. Set by a hook of every route that names a client,
     * before its handler runs: the profile-API access hook (profile-api-access.ts), Delivery's
     * client resolution, the admin routes' `clientInPath`. Null on routes that name no client.
     */
    client: ClientSettings;
  }
}

/** Declares `request.client` on every request (null until a route's hook sets it). */
export function decorateRequestClient(app: FastifyInstance): void {
  app.decorateRequest('client', null as unknown as ClientSettings);
}

/**
 * Admin routes under `/admin/v1/clients/:client/…`: the client must exist (404 naming it). A
 * preValidation hook: after the body is parsed, before it is validated (the token routes run it
 * as preHandler, after their query is judged).
 */
export function clientInPath(clients: ClientsService) {
  return async (request: FastifyRequest): Promise<void> => {
    request.client = await clients.require((request.params as { client: string }).client);
  };
}
