import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Limits } from '../../config.js';
import { type IdKind, parseIdRef, type VisitorIdRef } from '../../domain/identity.js';
import { clientInPath } from '../../http/request-client.js';
import type { ClientsService } from '../clients/clients-service.js';
import { deletePerson, exportPerson } from './privacy-schemas.js';
import type { PrivacyService } from './privacy-service.js';

/** The one id of a person body (its schema lets exactly one through), by the visitor-id rules. */
function personOf(body: Partial<Record<IdKind, string>>, limits: Limits): VisitorIdRef {
  const [kind, value] = Object.entries(body)[0] as [IdKind, string];
  return parseIdRef(kind, value, limits);
}

/**
 * Admin privacy API (CONTRACT §10, docs/security.md):
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
