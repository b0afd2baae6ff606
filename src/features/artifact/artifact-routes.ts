import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../errors.js';
import { clientInPath } from '../../http/request-client.js';
import { documentationOnly } from '../../http/validation.js';
import type { ActivitiesService, ImportedSet } from '../activities/activities-service.js';
import type { ClientsService } from '../clients/clients-service.js';
import { deleteArtifact, getArtifact, getRules, MAX_ARTIFACT_BODY_BYTES, putArtifact } from './artifact-schemas.js';

/** The environment of Adobe's CDN path; the only one profile-edge serves. */
export const ARTIFACT_ENVIRONMENT = 'production';

/** How long a copy may be used without asking again (the SDK polls every `pollingInterval`, at least 5 minutes). */
const CACHE_CONTROL = 'public, max-age=60, must-revalidate';

/** What an imported artifact holds, as the admin API answers it. */
export function importSummary(imported: ImportedSet) {
  const { record, artifact, decisions, catalogue } = imported;
  const rules = [...decisions.mboxes.values(), ...decisions.views.values()].reduce((sum, list) => sum + list.length, 0);
  return {
    version: record.version,
    importedAt: new Date(record.importedAt).toISOString(),
    artifactVersion: artifact.version,
    clientCode: artifact.clientCode ?? null,
    rules,
    mboxes: [...decisions.mboxes.keys()],
    views: [...decisions.views.keys()],
    remoteMboxes: [...decisions.remoteMboxes],
    remoteViews: [...decisions.remoteViews],
    activities: catalogue.activities,
  };
}

/**
 * `GET /{client}/production/v1/rules.json` — the rules artifact for Adobe's SDK (no token, as on
 * Adobe's CDN; CORS open to every origin, without credentials, for the SDK's browser bundle).
 */
export function registerArtifactRoutes(app: FastifyInstance, deps: { clients: ClientsService; activities: ActivitiesService }): void {
  const http = app.withTypeProvider<TypeBoxTypeProvider>();
  http.get('/:client/:environment/v1/rules.json', { schema: getRules }, async (request, reply) => {
    const { client: code, environment } = request.params;
    if (environment !== ARTIFACT_ENVIRONMENT)
      throw new NotFoundError(
        `No artifact for environment '${environment.slice(0, 64)}': only '${ARTIFACT_ENVIRONMENT}'`,
        'unknown_environment',
      );
    const client = await deps.clients.require(code);
    const artifact = await deps.activities.servedArtifact(client.code, client.responseTokens);
    reply.header('etag', artifact.etag).header('cache-control', CACHE_CONTROL).header('access-control-allow-origin', '*');
    const seen = request.headers['if-none-match'];
    if (seen?.split(',').some((tag) => tag.trim() === artifact.etag || tag.trim() === '*')) {
      return reply.code(304).send();
    }
    return reply.type('application/json; charset=utf-8').send(artifact.json);
  });
}

/** Admin: import, read and remove a client's Adobe rules artifact (docs/artifact.md#import). */
export function registerArtifactAdminRoutes(app: FastifyInstance, deps: { clients: ClientsService; activities: ActivitiesService }): void {
  const { activities } = deps;
  const http = app.withTypeProvider<TypeBoxTypeProvider>();
  const preValidation = clientInPath(deps.clients);
  const path = '/admin/v1/clients/:client/artifact';

  http.put(
    path,
    { schema: putArtifact, preValidation, validatorCompiler: documentationOnly, bodyLimit: MAX_ARTIFACT_BODY_BYTES },
    async (request) => importSummary(await activities.importArtifact(request.client.code, request.body)),
  );
  http.get(path, { schema: getArtifact, preValidation }, async (request) =>
    importSummary(await activities.importedArtifact(request.client.code)),
  );
  http.delete(path, { schema: deleteArtifact, preValidation }, async (request, reply) => {
    await activities.deleteImportedArtifact(request.client.code);
    return reply.code(204).send();
  });
}
