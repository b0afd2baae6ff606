import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { BadRequestError } from '../../errors.js';
import { clientInPath } from '../../http/request-client.js';
import { documentationOnly } from '../../http/validation.js';
import type { ClientsService } from '../clients/clients-service.js';
import { deleteActivity, getActivity, listActivities, MAX_ACTIVITY_BODY_BYTES, putActivity } from './activities-schemas.js';
import type { ActivitiesService } from './activities-service.js';
import type { ActivityRecord, ExpectedVersion } from './activities-store.js';

/** The stored activity as the API answers it: id and version first, times as ISO strings. */
export function activityDocument(record: ActivityRecord) {
  const { id, version, createdAt, modifiedAt, ...activity } = record;
  return { id, version, ...activity, createdAt: new Date(createdAt).toISOString(), modifiedAt: new Date(modifiedAt).toISOString() };
}

/** `If-Match: "3"` (also `3`, `W/"3"`), `*`, or none. */
export function expectedVersionOf(header: string | string[] | undefined): ExpectedVersion {
  if (header === undefined) return undefined;
  const value = [header].flat().join(',').trim();
  if (value === '*') return '*';
  const match = /^(?:W\/)?"?([1-9]\d{0,14})"?$/.exec(value);
  if (!match)
    throw new BadRequestError(`If-Match must be an activity version in quotes ("3") or *, got '${value.slice(0, 40)}'`, 'invalid_if_match');
  return Number(match[1]);
}

const etag = (reply: FastifyReply, record: ActivityRecord) => reply.header('etag', `"${record.version}"`);

/** Admin: create, replace, read, list and delete a client's activities (docs/decisioning.md#managing-activities). */
export function registerActivityRoutes(app: FastifyInstance, deps: { clients: ClientsService; activities: ActivitiesService }): void {
  const { activities } = deps;
  const http = app.withTypeProvider<TypeBoxTypeProvider>();
  const preValidation = clientInPath(deps.clients);
  const path = '/admin/v1/clients/:client/activities/:activityId';

  http.get('/admin/v1/clients/:client/activities', { schema: listActivities, preValidation }, async (request) => ({
    activities: (await activities.list(request.client.code)).map(activityDocument),
  }));

  http.get(path, { schema: getActivity, preValidation }, async (request, reply) => {
    const record = await activities.get(request.client.code, request.params.activityId);
    etag(reply, record);
    return activityDocument(record);
  });

  http.put(
    path,
    { schema: putActivity, preValidation, validatorCompiler: documentationOnly, bodyLimit: MAX_ACTIVITY_BODY_BYTES },
    async (request, reply) => {
      const expected = expectedVersionOf(request.headers['if-match']);
      const { activity, created } = await activities.put(request.client.code, request.params.activityId, request.body, expected);
      etag(reply, activity).code(created ? 201 : 200);
      return activityDocument(activity);
    },
  );

  http.delete(path, { schema: deleteActivity, preValidation }, async (request, reply) => {
    await activities.delete(request.client.code, request.params.activityId, expectedVersionOf(request.headers['if-match']));
    return reply.code(204).send();
  });
}
