import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Limits } from '../../config.js';
import { type IdKind, parseIdRef, type VisitorIdRef } from '../../domain/identity.js';
import { BadRequestError } from '../../errors.js';
import { clientInPath } from '../../http/request-client.js';
import type { ClientsService } from '../clients/clients-service.js';
import { deletePerson, EXACTLY_ONE, exportPerson } from './privacy-schemas.js';
import type { PrivacyService } from './privacy-service.js';

/** The one id of a person body (its schema admits only ids), by the visitor-id rules. */
function personOf(body: Partial<Record<IdKind, string>>, limits: Limits): VisitorIdRef {
  const ids = Object.entries(body) as Array<[IdKind, string]>;
  if (ids.length !== 1) throw new BadRequestError(EXACTLY_ONE, 'invalid_privacy_request');
  return parseIdRef(ids[0]![0], ids[0]![1], limits);
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
  const http = app.withTypeProvider<TypeBoxTypeProvider>();
  const preValidation = clientInPath(clients);
  http.post('/admin/v1/clients/:client/privacy/export', { schema: exportPerson, preValidation }, async (request) =>
    privacy.export(request.client, personOf(request.body, limits)),
  );
  http.post('/admin/v1/clients/:client/privacy/delete', { schema: deletePerson, preValidation }, async (request) =>
    privacy.delete(request.client, personOf(request.body, limits)),
  );
}
