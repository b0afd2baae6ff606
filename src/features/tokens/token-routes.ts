import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../errors.js';
import { clientInPath } from '../../http/request-client.js';
import type { ClientsService } from '../clients/clients-service.js';
import type { CredentialsService } from './credentials-service.js';
import { currentToken, issueToken } from './token-schemas.js';

/**
 * Adobe-shaped profile token endpoint (Adobe: `/{tenant}/target/authentication/token`).
 * POST mints a new token and revokes the previous one; GET describes the current one. Only a hash
 * of each token is stored, so GET cannot show the secret again (ADR 002).
 */
export function registerTokenRoutes(app: FastifyInstance, deps: { clients: ClientsService; credentials: CredentialsService }): void {
  const { clients, credentials } = deps;
  const http = app.withTypeProvider<TypeBoxTypeProvider>();
  const path = '/admin/v1/clients/:client/authentication/token';
  // After validation: a wrong authorizationScope is answered first, whichever client is named.
  const preHandler = clientInPath(clients);

  http.post(path, { schema: issueToken, preHandler }, async (request, reply) => {
    reply.code(201).type('application/vnd.adobe.target.v1+json');
    return credentials.issueProfileToken(request.client);
  });

  http.get(path, { schema: currentToken, preHandler }, async (request, reply) => {
    const current = await credentials.currentProfileToken(request.client);
    if (!current) throw new NotFoundError(`Client ${request.client.code} has no valid profile token; POST to create one`, 'no_token');
    reply.type('application/vnd.adobe.target.v1+json');
    return current;
  });
}
