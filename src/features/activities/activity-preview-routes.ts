import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Limits } from '../../config.js';
import { type IdKind, parseIdRef } from '../../domain/identity.js';
import { BadRequestError } from '../../errors.js';
import { clientInPath } from '../../http/request-client.js';
import type { ClientsService } from '../clients/clients-service.js';
import { previewActivities } from './activities-schemas.js';
import type { ActivityPreview } from './activity-preview.js';

const ID_KINDS = ['tntId', 'thirdPartyId', 'marketingCloudVisitorId'] as const;

/** Admin: what a visitor would see and why, counting nothing (docs/decisioning.md#preview). */
export function registerActivityPreviewRoutes(
  app: FastifyInstance,
  deps: { clients: ClientsService; preview: ActivityPreview; limits: Limits },
): void {
  const http = app.withTypeProvider<TypeBoxTypeProvider>();
  http.post(
    '/admin/v1/clients/:client/activities/preview',
    { schema: previewActivities, preValidation: clientInPath(deps.clients) },
    async (request) => {
      const body = request.body;
      const given = ID_KINDS.filter((kind) => body[kind] !== undefined);
      if (given.length > 1)
        throw new BadRequestError('give at most one of tntId, thirdPartyId, marketingCloudVisitorId', 'invalid_preview');
      const kind: IdKind | undefined = given[0];
      return deps.preview.preview(request.client, {
        visitor: kind ? parseIdRef(kind, body[kind]!, deps.limits) : null,
        locations: body.locations,
        profileParameters: body.profileParameters ?? {},
        ...(body.url !== undefined ? { url: body.url } : {}),
      });
    },
  );
}
