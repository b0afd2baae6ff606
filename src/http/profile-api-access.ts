import type { FastifyRequest } from 'fastify';
import { BadRequestError } from '../errors.js';
import type { ClientSettings } from '../features/clients/clients-store.js';
import type { ClientsService } from '../features/clients/clients-service.js';
import type { CredentialsService } from '../features/tokens/credentials-service.js';

/**
 * Every profile API call (single update, bulk, batch status, fetch) starts here: the client must
 * exist (404 naming it), then the bearer token must be valid for that client when it requires auth.
 */
export class ProfileApiAccess {
  constructor(
    private readonly clients: ClientsService,
    private readonly credentials: CredentialsService,
  ) {}

  /**
   * The onRequest hook of a profile API route: resolves the client named by `clientOf` and checks
   * the token before anything else, the body included, is read; sets `request.client`.
   */
  hook(clientOf: (request: FastifyRequest) => unknown): (request: FastifyRequest) => Promise<void> {
    return async (request) => {
      request.client = await this.authorize(request, clientOf(request));
    };
  }

  async authorize(request: FastifyRequest, clientCode: unknown): Promise<ClientSettings> {
    if (clientCode === undefined || clientCode === '') {
      throw new BadRequestError('The client query parameter is required', 'client_missing');
    }
    // `?client=a&client=b` arrives as an array: ambiguous, never "the first one".
    if (typeof clientCode !== 'string') throw new BadRequestError('The client query parameter is given more than once', 'client_ambiguous');
    const client = await this.clients.require(clientCode);
    await this.credentials.authorizeProfileCall(client, request.headers.authorization);
    return client;
  }
}

/** m2 routes name the client in the path: `/m2/{client}/…`. */
export const clientInM2Path = (request: FastifyRequest): unknown => (request.params as { client?: string }).client;

/** The fetch API names it in the query: `?client=`. */
export const clientInQuery = (request: FastifyRequest): unknown => (request.query as { client?: unknown }).client;
