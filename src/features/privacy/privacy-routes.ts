import type { FastifyInstance } from 'fastify';
import type { Limits } from '../../config.js';
import { type IdKind, parseIdRef, type VisitorIdRef } from '../../domain/identity.js';
import { BadRequestError } from '../../errors.js';
import type { ClientsService } from '../clients/clients-service.js';
import type { PrivacyService } from './privacy-service.js';

const PERSON_KEYS: readonly IdKind[] = ['tntId', 'thirdPartyId', 'marketingCloudVisitorId'];

/** `{"tntId"|"thirdPartyId"|"marketingCloudVisitorId": "…"}` — exactly one id names the person. */
export function parsePersonRequest(body: unknown, limits: Limits): VisitorIdRef {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError(
      'privacy request body must be a JSON object naming tntId, thirdPartyId or marketingCloudVisitorId',
      'invalid_privacy_request',
    );
  }
  const fields = Object.keys(body);
  const unknown = fields.find((field) => !(PERSON_KEYS as readonly string[]).includes(field));
  if (unknown !== undefined) {
    throw new BadRequestError(
      `unknown field '${unknown.slice(0, 64)}' (name the person with one of tntId, thirdPartyId, marketingCloudVisitorId)`,
      'invalid_privacy_request',
    );
  }
  if (fields.length !== 1) {
    throw new BadRequestError(
      'name the person with exactly one of tntId, thirdPartyId, marketingCloudVisitorId',
      'invalid_privacy_request',
    );
  }
  const kind = fields[0] as IdKind;
  const value = (body as Record<string, unknown>)[kind];
  if (typeof value !== 'string') throw new BadRequestError(`${kind} must be a string`, 'invalid_privacy_request');
  return parseIdRef(kind, value, limits);
}

/**
 * Admin privacy API (docs/wire-contract.md#10-privacy, docs/security.md):
 * `POST /admin/v1/clients/{client}/privacy/export` and `/privacy/delete`.
 */
export function registerPrivacyRoutes(
  app: FastifyInstance,
  deps: { clients: ClientsService; privacy: PrivacyService; limits: Limits },
): void {
  const { clients, privacy, limits } = deps;
  app.post<{ Params: { client: string } }>('/admin/v1/clients/:client/privacy/export', async (request) => {
    const client = await clients.require(request.params.client);
    return privacy.export(client, parsePersonRequest(request.body, limits));
  });
  app.post<{ Params: { client: string } }>('/admin/v1/clients/:client/privacy/delete', async (request) => {
    const client = await clients.require(request.params.client);
    return privacy.delete(client, parsePersonRequest(request.body, limits));
  });
}
