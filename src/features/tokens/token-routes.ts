import type { FastifyInstance } from 'fastify';
import { BadRequestError, NotFoundError } from '../../errors.js';
import type { ClientsService } from '../clients/clients-service.js';
import type { CredentialsService } from './credentials-service.js';

interface TokenRequest {
  Params: { client: string };
  Querystring: { authorizationScope?: string };
}

function requireProfileScope(scope: string | undefined): void {
  if (scope !== 'profile_api') {
    throw new BadRequestError("authorizationScope must be 'profile_api'", 'invalid_scope');
  }
}

/**
 * Adobe-shaped profile token endpoint (Adobe: `/{tenant}/target/authentication/token`).
 * POST mints a new token and revokes the previous one; GET describes the current one. Only a hash
 * of each token is stored, so GET cannot show the secret again (ADR 002).
 */
export function registerTokenRoutes(app: FastifyInstance, deps: { clients: ClientsService; credentials: CredentialsService }): void {
  const { clients, credentials } = deps;
  const path = '/admin/v1/clients/:client/authentication/token';

  app.post<TokenRequest>(path, async (request, reply) => {
    requireProfileScope(request.query.authorizationScope);
    const client = await clients.require(request.params.client);
    reply.code(201).type('application/vnd.adobe.target.v1+json');
    return credentials.issueProfileToken(client);
  });

  app.get<TokenRequest>(path, async (request, reply) => {
    requireProfileScope(request.query.authorizationScope);
    const client = await clients.require(request.params.client);
    const current = await credentials.currentProfileToken(client);
    if (!current) throw new NotFoundError(`Client ${client.code} has no valid profile token; POST to create one`, 'no_token');
    reply.type('application/vnd.adobe.target.v1+json');
    return current;
  });
}
