import type { FastifyInstance } from 'fastify';
import type { Limits } from '../../config.js';
import { type IdKind, parseIdRef } from '../../domain/identity.js';
import type { ProfileApiAccess } from '../../http/profile-api-access.js';
import { profileDocument } from '../../wire/profile-document.js';
import type { ProfilesService } from './profiles-service.js';

interface FetchRequest {
  Params: { id: string };
  Querystring: { client?: string };
}

/** `GET /rest/v1/profiles/...?client=` — the profile fetch API (docs/wire-contract.md#7-profile-fetch). */
export function registerFetchRoutes(
  app: FastifyInstance,
  deps: { access: ProfileApiAccess; profiles: ProfilesService; limits: Limits },
): void {
  const { access, profiles, limits } = deps;
  const route = (path: string, kind: IdKind) =>
    app.get<FetchRequest>(path, async (request) => {
      const client = await access.authorize(request, request.query.client);
      const ref = parseIdRef(kind, request.params.id, limits);
      const profile = await profiles.fetch(client, ref);
      return profileDocument(client.code, request.params.id, profile);
    });
  route('/rest/v1/profiles/:id', 'tntId');
  route('/rest/v1/profiles/thirdPartyId/:id', 'thirdPartyId');
  route('/rest/v1/profiles/marketingCloudVisitorId/:id', 'marketingCloudVisitorId');
}
