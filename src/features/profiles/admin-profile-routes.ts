import type { FastifyInstance } from 'fastify';
import type { Limits } from '../../config.js';
import type { AttributeWrite } from '../../domain/attributes.js';
import { type IdKind, parseIdRef, type VisitorIdRef } from '../../domain/identity.js';
import { BadRequestError, NotFoundError } from '../../errors.js';
import { profileDocument } from '../../wire/profile-document.js';
import type { ClientsService } from '../clients/clients-service.js';
import type { ProfilesService } from './profiles-service.js';

const ID_KINDS: readonly IdKind[] = ['tntId', 'thirdPartyId', 'marketingCloudVisitorId'];

function idKindOf(segment: string): IdKind {
  if ((ID_KINDS as readonly string[]).includes(segment)) return segment as IdKind;
  throw new NotFoundError(`Unknown id type '${segment.slice(0, 64)}' (use tntId, thirdPartyId or marketingCloudVisitorId)`);
}

/** Parses `{"tntId"?, "thirdPartyId"?, "marketingCloudVisitorId"?, "attributes": {...}}`. */
function parseProfileBody(body: unknown, limits: Limits): { refs: VisitorIdRef[]; writes: AttributeWrite[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('profile body must be a JSON object', 'invalid_profile');
  }
  const refs: VisitorIdRef[] = [];
  let writes: AttributeWrite[] = [];
  for (const [field, value] of Object.entries(body)) {
    if ((ID_KINDS as readonly string[]).includes(field)) {
      if (typeof value !== 'string') throw new BadRequestError(`${field} must be a string`, 'invalid_profile');
      refs.push(parseIdRef(field as IdKind, value, limits));
    } else if (field === 'attributes') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new BadRequestError('attributes must be an object of name → string value', 'invalid_profile');
      }
      writes = Object.entries(value).map(([name, attributeValue]) => {
        if (typeof attributeValue !== 'string') {
          throw new BadRequestError(`attribute '${name.slice(0, 64)}' must have a string value`, 'invalid_profile');
        }
        return { name, value: attributeValue };
      });
    } else {
      throw new BadRequestError(
        `unknown field '${field.slice(0, 64)}' (known: tntId, thirdPartyId, marketingCloudVisitorId, attributes)`,
        'invalid_profile',
      );
    }
  }
  // The primary id first: tntId, then thirdPartyId, then ECID.
  refs.sort((a, b) => ID_KINDS.indexOf(a.kind) - ID_KINDS.indexOf(b.kind));
  return { refs, writes };
}

interface ProfileParams {
  client: string;
  kind: string;
  id: string;
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
  const refOf = (params: ProfileParams) => parseIdRef(idKindOf(params.kind), params.id, limits);

  app.post<{ Params: { client: string } }>('/admin/v1/clients/:client/profiles', async (request, reply) => {
    const client = await clients.require(request.params.client);
    const { refs, writes } = parseProfileBody(request.body, limits);
    const written = await profiles.upsert(client, refs, writes);
    const visitorId = refs[0]?.value ?? written.ids.find((id) => id.kind === 'tntId')!.value;
    reply.code(written.created ? 201 : 200);
    return { ...profileDocument(client.code, visitorId, written.profile), ids: idsDocument(written.ids) };
  });

  app.get<{ Params: ProfileParams }>('/admin/v1/clients/:client/profiles/:kind/:id', async (request) => {
    const client = await clients.require(request.params.client);
    const profile = await profiles.fetch(client, refOf(request.params));
    const ids = await profiles.idsOf(client, profile);
    return { ...profileDocument(client.code, request.params.id, profile), ids: idsDocument(ids) };
  });

  app.delete<{ Params: ProfileParams }>('/admin/v1/clients/:client/profiles/:kind/:id', async (request) => {
    const client = await clients.require(request.params.client);
    const deleted = await profiles.delete(client, refOf(request.params));
    return { deleted: true, ids: idsDocument(deleted.ids), attributeCount: deleted.attributeCount };
  });

  app.delete<{ Params: ProfileParams & { name: string } }>(
    '/admin/v1/clients/:client/profiles/:kind/:id/attributes/:name',
    async (request) => {
      const client = await clients.require(request.params.client);
      const { removed, profile } = await profiles.removeAttribute(client, refOf(request.params), request.params.name);
      if (!removed) {
        throw new NotFoundError(`Profile has no attribute '${request.params.name.slice(0, 128)}'`, 'attribute_not_found');
      }
      return profileDocument(client.code, request.params.id, profile);
    },
  );
}

function idsDocument(ids: readonly VisitorIdRef[]): Record<string, string[]> {
  const grouped: Record<string, string[]> = {};
  for (const { kind, value } of ids) {
    grouped[kind] ??= [];
    grouped[kind].push(value);
  }
  return grouped;
}
