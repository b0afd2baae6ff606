import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Limits } from '../../config.js';
import type { AttributeWrite } from '../../domain/attributes.js';
import { type IdKind, parseIdRef, type VisitorIdRef } from '../../domain/identity.js';
import { NotFoundError } from '../../errors.js';
import { clientInPath } from '../../http/request-client.js';
import { profileDocument } from '../../wire/profile-document.js';
import type { ClientsService } from '../clients/clients-service.js';
import { deleteProfile, getProfile, ID_KINDS, removeAttribute, upsertProfile } from './admin-profile-schemas.js';
import type { ProfilesService } from './profiles-service.js';

type ProfileBody = { [kind in (typeof ID_KINDS)[number]]?: string } & { attributes?: Record<string, string> };

/** The ids of a profile body, checked by the visitor-id rules, the primary one first: tntId, thirdPartyId, ECID. */
function idsOf(body: ProfileBody, limits: Limits): VisitorIdRef[] {
  const refs: VisitorIdRef[] = [];
  for (const [field, value] of Object.entries(body)) {
    if (field !== 'attributes') refs.push(parseIdRef(field as IdKind, value as string, limits));
  }
  return refs.sort((a, b) => ID_KINDS.indexOf(a.kind as never) - ID_KINDS.indexOf(b.kind as never));
}

/**
 * Admin: create/update a profile, read it with its ids, remove one attribute, delete it
 * (docs/wire-contract.md#93-the-admin-api).
 */
export function registerAdminProfileRoutes(
  app: FastifyInstance,
  deps: { clients: ClientsService; profiles: ProfilesService; limits: Limits },
): void {
  const { clients, profiles, limits } = deps;
  const http = app.withTypeProvider<TypeBoxTypeProvider>();
  const preValidation = clientInPath(clients);
  const refOf = (params: { kind: IdKind; id: string }) => parseIdRef(params.kind, params.id, limits);

  http.post('/admin/v1/clients/:client/profiles', { schema: upsertProfile, preValidation }, async (request, reply) => {
    const refs = idsOf(request.body, limits);
    const writes: AttributeWrite[] = Object.entries(request.body.attributes ?? {}).map(([name, value]) => ({ name, value }));
    const written = await profiles.upsert(request.client, refs, writes);
    const visitorId = refs[0]?.value ?? written.ids.find((id) => id.kind === 'tntId')!.value;
    reply.code(written.created ? 201 : 200);
    return { ...profileDocument(request.client.code, visitorId, written.profile), ids: idsDocument(written.ids) };
  });

  const profilePath = '/admin/v1/clients/:client/profiles/:kind/:id';

  http.get(profilePath, { schema: getProfile, preValidation }, async (request) => {
    const profile = await profiles.fetch(request.client, refOf(request.params));
    const ids = await profiles.idsOf(request.client, profile);
    return { ...profileDocument(request.client.code, request.params.id, profile), ids: idsDocument(ids) };
  });

  http.delete(profilePath, { schema: deleteProfile, preValidation }, async (request) => {
    const deleted = await profiles.delete(request.client, refOf(request.params));
    return { deleted: true as const, ids: idsDocument(deleted.ids), attributeCount: deleted.attributeCount };
  });

  http.delete(`${profilePath}/attributes/:name`, { schema: removeAttribute, preValidation }, async (request) => {
    const { removed, profile } = await profiles.removeAttribute(request.client, refOf(request.params), request.params.name);
    if (!removed) {
      throw new NotFoundError(`Profile has no attribute '${request.params.name.slice(0, 128)}'`, 'attribute_not_found');
    }
    return profileDocument(request.client.code, request.params.id, profile);
  });
}

function idsDocument(ids: readonly VisitorIdRef[]): Record<string, string[]> {
  const grouped: Record<string, string[]> = {};
  for (const { kind, value } of ids) {
    grouped[kind] ??= [];
    grouped[kind].push(value);
  }
  return grouped;
}
