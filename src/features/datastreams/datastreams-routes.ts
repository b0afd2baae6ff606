import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { clientInPath } from '../../http/request-client.js';
import type { ClientsService } from '../clients/clients-service.js';
import { deleteDatastream, getDatastream, listDatastreams, putDatastream } from './datastreams-schemas.js';
import type { DatastreamsService } from './datastreams-service.js';
import type { Datastream } from './datastreams-store.js';

/** The stored datastream as the API answers it: times as ISO strings. */
export function datastreamDocument(datastream: Datastream) {
  return {
    ...datastream,
    createdAt: new Date(datastream.createdAt).toISOString(),
    modifiedAt: new Date(datastream.modifiedAt).toISOString(),
  };
}

/** Admin: create, replace, read, list and delete a client's datastreams (docs/web-sdk.md#datastreams). */
export function registerDatastreamRoutes(app: FastifyInstance, deps: { clients: ClientsService; datastreams: DatastreamsService }): void {
  const { datastreams } = deps;
  const http = app.withTypeProvider<TypeBoxTypeProvider>();
  const preValidation = clientInPath(deps.clients);
  const path = '/admin/v1/clients/:client/datastreams/:configId';

  http.get('/admin/v1/clients/:client/datastreams', { schema: listDatastreams, preValidation }, async (request) => ({
    datastreams: (await datastreams.list(request.client.code)).map(datastreamDocument),
  }));

  http.get(path, { schema: getDatastream, preValidation }, async (request) =>
    datastreamDocument(await datastreams.get(request.client.code, request.params.configId)),
  );

  http.put(path, { schema: putDatastream, preValidation }, async (request, reply) => {
    const { imsOrgId, thirdPartyIdNamespace, propertyToken } = request.body;
    const { datastream, created } = await datastreams.put(request.client.code, request.params.configId, {
      imsOrgId,
      thirdPartyIdNamespace: thirdPartyIdNamespace ?? null,
      propertyToken: propertyToken ?? null,
    });
    reply.code(created ? 201 : 200);
    return datastreamDocument(datastream);
  });

  http.delete(path, { schema: deleteDatastream, preValidation }, async (request, reply) => {
    await datastreams.delete(request.client.code, request.params.configId);
    return reply.code(204).send();
  });
}
