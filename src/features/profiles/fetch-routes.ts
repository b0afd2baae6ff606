import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Limits } from '../../config.js';
import { type IdKind, parseIdRef } from '../../domain/identity.js';
import { clientInQuery, type ProfileApiAccess } from '../../http/profile-api-access.js';
import { profileDocument } from '../../wire/profile-document.js';
import { fetchByEcid, fetchByThirdPartyId, fetchByTntId } from './fetch-schemas.js';
import type { ProfilesService } from './profiles-service.js';

/** `GET /rest/v1/profiles/...?client=` — the profile fetch API (docs/wire-contract.md#7-profile-fetch). */
export function registerFetchRoutes(
  app: FastifyInstance,
  deps: { access: ProfileApiAccess; profiles: ProfilesService; limits: Limits },
): void {
  const { access, profiles, limits } = deps;
  const http = app.withTypeProvider<TypeBoxTypeProvider>();
  const onRequest = access.hook(clientInQuery);
  const route = (path: string, kind: IdKind, schema: typeof fetchByTntId) =>
    http.get(path, { schema, onRequest }, async (request) => {
      const ref = parseIdRef(kind, request.params.id, limits);
      const profile = await profiles.fetch(request.client, ref);
      return profileDocument(request.client.code, request.params.id, profile);
    });
  route('/rest/v1/profiles/:id', 'tntId', fetchByTntId);
  route('/rest/v1/profiles/thirdPartyId/:id', 'thirdPartyId', fetchByThirdPartyId);
  route('/rest/v1/profiles/marketingCloudVisitorId/:id', 'marketingCloudVisitorId', fetchByEcid);
}
