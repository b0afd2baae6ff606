import { Type } from '@sinclair/typebox';
import { ADMIN_KEY, ClientParams, map, restErrors } from '../../http/schemas.js';
import { worded } from '../../http/validation.js';
import { ProfileDocument } from '../profiles/fetch-schemas.js';

/** Admin privacy API: export everything stored about a person, or erase it. */
const PERSON_KEYS = 'tntId, thirdPartyId, marketingCloudVisitorId';

/**
 * `{"tntId"|"thirdPartyId"|"marketingCloudVisitorId": "…"}`: exactly one id names the person.
 * "Exactly one" is checked by the route, after this schema: an unknown field is named first.
 */
export const EXACTLY_ONE = `name the person with exactly one of ${PERSON_KEYS}`;

const PersonBody = worded(
  Type.Object(
    {
      tntId: Type.Optional(Type.String()),
      thirdPartyId: Type.Optional(Type.String()),
      marketingCloudVisitorId: Type.Optional(Type.String()),
    },
    { additionalProperties: false, description: 'Exactly one id names the person' },
  ),
  {
    type: `privacy request body must be a JSON object naming tntId, thirdPartyId or marketingCloudVisitorId`,
    additionalProperties: (problem) =>
      `unknown field '${String(problem.params.additionalProperty).slice(0, 64)}' (name the person with one of ${PERSON_KEYS})`,
  },
);

const Ids = map(Type.Array(Type.String()), { description: 'Every id of the person, by kind' });
const FailedRow = Type.Object({ batchId: Type.String(), line: Type.Integer(), key: Type.String(), reason: Type.String() });

const tags = ['Admin: privacy'];

export const exportPerson = {
  summary: 'Export everything stored about a person',
  tags,
  security: ADMIN_KEY,
  params: ClientParams,
  body: PersonBody,
  response: {
    200: Type.Object(
      {
        ...ProfileDocument.properties,
        modifiedAt: Type.Union([Type.String(), Type.Null()], { description: 'Null when only batch-report rows are stored' }),
        ids: Ids,
        batchFailures: Type.Array(FailedRow, { description: 'Failed-row records of bulk batches that carry one of the person’s keys' }),
      },
      { description: 'The profile, its ids and the batch-report rows about the person' },
    ),
    ...restErrors(400, 401, 403, 404, 415),
  },
};

export const deletePerson = {
  summary: 'Erase a person: the profile, every id, batch-report rows, stuck batch bodies',
  tags,
  security: ADMIN_KEY,
  params: ClientParams,
  body: PersonBody,
  response: {
    200: Type.Object(
      {
        deleted: Type.Literal(true),
        client: Type.String(),
        profile: Type.Union([Type.Object({ ids: Ids, attributeCount: Type.Integer() }), Type.Null()]),
        batchFailureRows: Type.Integer({ description: 'Failed-row records removed from batch reports' }),
        batchBodiesRemoved: Type.Array(Type.String(), { description: 'Stuck batches whose stored body held a row for the person' }),
        pendingBatches: Type.Array(Type.String(), {
          description: 'Batches still being applied: repeat the deletion once they are complete',
        }),
        storageScrubbed: Type.Boolean({ description: 'The database files were rewritten so that no copy of deleted rows remains' }),
      },
      { description: 'What was erased' },
    ),
    ...restErrors(400, 401, 403, 404, 415),
  },
};
