import type { FastifyInstance } from 'fastify';
import type { ClientsService } from './clients-service.js';
import type { ClientSettings } from './clients-store.js';

function settingsDocument(client: ClientSettings) {
  return {
    client: client.code,
    requireAuth: client.requireAuth,
    profileLifetimeDays: client.profileLifetimeDays,
    imsOrgId: client.imsOrgId,
    createdAt: new Date(client.createdAt).toISOString(),
    updatedAt: new Date(client.updatedAt).toISOString(),
  };
}

/** Admin: create, update, read and list clients (docs/wire-contract.md#93-the-admin-api). */
export function registerClientRoutes(app: FastifyInstance, deps: { clients: ClientsService }): void {
  const { clients } = deps;

  app.get('/admin/v1/clients', async () => ({ clients: (await clients.list()).map(settingsDocument) }));

  app.get<{ Params: { client: string } }>('/admin/v1/clients/:client', async (request) =>
    settingsDocument(await clients.require(request.params.client)),
  );

  app.put<{ Params: { client: string } }>('/admin/v1/clients/:client', async (request, reply) => {
    const { client, created } = await clients.put(request.params.client, request.body);
    reply.code(created ? 201 : 200);
    return settingsDocument(client);
  });
}
