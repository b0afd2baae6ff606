import { Type } from '@sinclair/typebox';
import { ADMIN_KEY, ClientParams, map, restErrors, stringEnum } from '../../http/schemas.js';
import { worded } from '../../http/validation.js';
import { ProfileDocument } from './fetch-schemas.js';

/** Admin: create or update a profile, read it with its ids, remove one attribute, delete it. */
export const ID_KINDS = ['tntId', 'thirdPartyId', 'marketingCloudVisitorId'] as const;

const Ids = map(Type.Array(Type.String()), { description: 'Every id of the profile, by kind' });
const ProfileWithIds = Type.Object(
  { ...ProfileDocument.properties, ids: Ids },
  { description: 'The profile and every id that leads to it' },
);

const ProfileBody = worded(
  Type.Object(
    {
      tntId: Type.Optional(Type.String({ description: 'A tntId; without any id a tntId is minted' })),
      thirdPartyId: Type.Optional(Type.String()),
      marketingCloudVisitorId: Type.Optional(Type.String()),
      attributes: worded(
        Type.Optional(
          map(
            worded(Type.String(), (problem) => `attribute '${problem.name.slice(0, 64)}' must have a string value`),
            { description: 'Attributes to set, name → value; an empty value changes nothing' },
          ),
        ),
        { type: 'attributes must be an object of name → string value' },
      ),
    },
    {
      additionalProperties: false,
      description: 'Ids given together are linked to one profile (merged, as at login)',
      examples: [{ tntId: 'visitor-1', thirdPartyId: 'crm-1', attributes: { tier: 'silver', city: 'Lyon' } }],
    },
  ),
  {
    type: 'profile body must be a JSON object',
    additionalProperties: (problem) =>
      `unknown field '${String(problem.params.additionalProperty).slice(0, 64)}' (known: tntId, thirdPartyId, marketingCloudVisitorId, attributes)`,
  },
);

const tags = ['Admin: profiles'];

export const upsertProfile = {
  summary: 'Create a profile, or update the one its ids lead to',
  tags,
  security: ADMIN_KEY,
  params: ClientParams,
  body: ProfileBody,
  response: {
    200: Type.Object(ProfileWithIds.properties, { description: 'Updated' }),
    201: Type.Object(ProfileWithIds.properties, { description: 'Created' }),
    ...restErrors(400, 401, 403, 404, 409, 413, 415),
  },
};

const ProfileParams = Type.Object({
  ...ClientParams.properties,
  kind: worded(
    stringEnum(ID_KINDS, { description: 'The kind of id in the path' }),
    (problem) => `Unknown id type '${String(problem.value).slice(0, 64)}' (use tntId, thirdPartyId or marketingCloudVisitorId)`,
    { status: 404 },
  ),
  id: Type.String(),
});

export const getProfile = {
  summary: 'Read a profile with every id',
  tags,
  security: ADMIN_KEY,
  params: ProfileParams,
  response: { 200: ProfileWithIds, ...restErrors(400, 401, 403, 404) },
};

export const deleteProfile = {
  summary: 'Delete a profile with every id',
  tags,
  security: ADMIN_KEY,
  params: ProfileParams,
  response: {
    200: Type.Object({ deleted: Type.Literal(true), ids: Ids, attributeCount: Type.Integer() }, { description: 'Deleted' }),
    ...restErrors(400, 401, 403, 404),
  },
};

export const removeAttribute = {
  summary: 'Remove one attribute of a profile',
  description: 'The only way an attribute goes away: empty values never clear anything.',
  tags,
  security: ADMIN_KEY,
  params: Type.Object({ ...ProfileParams.properties, name: Type.String({ description: 'The attribute name' }) }),
  response: { 200: ProfileDocument, ...restErrors(400, 401, 403, 404) },
};
