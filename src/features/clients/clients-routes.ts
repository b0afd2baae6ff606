import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { clientInPath } from '../../http/request-client.js';
import { DEFAULT_RESPONSE_TOKENS } from '../decisioning/response-tokens.js';
import { getClient, listClients, putClient } from './clients-schemas.js';
import type { ClientsService } from './clients-service.js';
import type { ClientSettings } from './clients-store.js';

function settingsDocument(client: ClientSettings) {
  return {
    client: client.code,
    requireAuth: client.requireAuth,
    profileLifetimeDays: client.profileLifetimeDays,
    imsOrgId: client.imsOrgId,
    responseTokens: client.responseTokens ?? [...DEFAULT_RESPONSE_TOKENS],
    createdAt: new Date(client.createdAt).toISOString(),
    updatedAt: new Date(client.updatedAt).toISOString(),
  };
}

/** Admin: create, update, read and list clients (docs/wire-contract.md#93-the-admin-api). */
export function registerClientRoutes(app: FastifyInstance, deps: { clients: ClientsService }): void {
  const { clients } = deps;
  const http = app.withTypeProvider<TypeBoxTypeProvider>();

  http.get('/admin/v1/clients', { schema: listClients }, async () => ({ clients: (await clients.list()).map(settingsDocument) }));

  http.get('/admin/v1/clients/:client', { schema: getClient, preValidation: clientInPath(clients) }, async (request) =>
    settingsDocument(request.client),
  );

  http.put('/admin/v1/clients/:client', { schema: putClient }, async (request, reply) => {
    const { client, created } = await clients.put(request.params.client, request.body ?? {});
    reply.code(created ? 201 : 200);
    return settingsDocument(client);
  });
}
