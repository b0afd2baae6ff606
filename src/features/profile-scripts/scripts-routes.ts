import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Limits } from '../../config.js';
import { attributeNameProblem, attributeValueProblem, type AttributeWrite } from '../../domain/attributes.js';
import { type IdKind, mintTntId, parseIdRef } from '../../domain/identity.js';
import { BadRequestError, NotFoundError } from '../../errors.js';
import { clientInPath } from '../../http/request-client.js';
import type { ClientsService } from '../clients/clients-service.js';
import type { ProfilesService } from '../profiles/profiles-service.js';
import { deleteScript, getScript, listScripts, putScript, tryScript } from './scripts-schemas.js';
import type { ProfileScriptsService } from './scripts-service.js';
import type { ProfileScriptRecord } from './scripts-store.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A stored script as the admin API answers it. */
export function scriptDocument(record: ProfileScriptRecord) {
  return {
    name: record.name,
    attribute: `user.${record.name}`,
    source: record.source,
    description: record.description,
    enabled: record.enabled,
    status: record.enabled && record.disabledReason === null ? ('active' as const) : ('disabled' as const),
    disabledReason: record.disabledReason,
    disabledMessage: record.disabledMessage,
    disabledAt: iso(record.disabledAt),
    version: record.version,
    createdAt: iso(record.createdAt)!,
    modifiedAt: iso(record.modifiedAt)!,
  };
}

const ID_KINDS: readonly IdKind[] = ['tntId', 'thirdPartyId', 'marketingCloudVisitorId'];

/** Admin: a client's profile scripts and their trial run (docs/profile-scripts.md#managing-scripts). */
export function registerProfileScriptRoutes(
  app: FastifyInstance,
  deps: { clients: ClientsService; scripts: ProfileScriptsService; profiles: ProfilesService; limits: Limits },
): void {
  const { scripts, profiles, limits } = deps;
  const http = app.withTypeProvider<TypeBoxTypeProvider>();
  const preValidation = clientInPath(deps.clients);
  const path = '/admin/v1/clients/:client/profile-scripts/:name';

  http.get('/admin/v1/clients/:client/profile-scripts', { schema: listScripts, preValidation }, async (request) => ({
    scripts: (await scripts.list(request.client.code)).map(scriptDocument),
  }));

  http.get(path, { schema: getScript, preValidation }, async (request) =>
    scriptDocument(await scripts.get(request.client.code, request.params.name)),
  );

  http.put(path, { schema: putScript, preValidation }, async (request, reply) => {
    const { script, created } = await scripts.put(request.client.code, request.params.name, request.body);
    reply.code(created ? 201 : 200);
    return scriptDocument(script);
  });

  http.delete(path, { schema: deleteScript, preValidation }, async (request, reply) => {
    await scripts.delete(request.client.code, request.params.name);
    return reply.code(204).send();
  });

  http.post(`${path}/try`, { schema: tryScript, preValidation }, async (request) => {
    const body = request.body;
    const given = ID_KINDS.filter((kind) => body[kind as keyof typeof body] !== undefined);
    if (given.length > 1) throw new BadRequestError('give at most one of tntId, thirdPartyId, marketingCloudVisitorId', 'invalid_trial');
    let attributes = new Map();
    let tntId = mintTntId();
    if (given.length === 1) {
      const kind = given[0]!;
      const ref = parseIdRef(kind, body[kind as keyof typeof body] as string, limits);
      try {
        attributes = (await profiles.fetch(request.client, ref)).attributes;
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
      if (kind === 'tntId') tntId = ref.value;
    }
    const writes: AttributeWrite[] = [];
    for (const [name, raw] of Object.entries(body.profileParameters ?? {})) {
      const problem =
        attributeNameProblem(name, limits.maxNameLength) ?? attributeValueProblem(name, String(raw), limits.maxDeliveryValueLength);
      if (problem) throw new BadRequestError(`profileParameters: ${problem}`, 'invalid_attribute_name');
      writes.push({ name, value: String(raw) });
    }
    const context = body.context ?? {};
    return scripts.tryRun(request.client.code, request.params.name, {
      ...(body.source !== undefined ? { source: body.source } : {}),
      attributes,
      tntId,
      ...(body.mbox ? { mbox: body.mbox } : {}),
      profileParameters: writes,
      context: {
        ...(context.userAgent !== undefined ? { userAgent: context.userAgent } : {}),
        address: { url: context.url, referringUrl: context.referringUrl },
      },
    });
  });
}
