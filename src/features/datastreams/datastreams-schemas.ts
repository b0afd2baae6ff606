import { Type } from '@sinclair/typebox';
import { ADMIN_KEY, orNull, restErrors } from '../../http/schemas.js';
import { worded } from '../../http/validation.js';
import { CONFIG_ID_PATTERN, IMS_ORG_PATTERN } from './datastreams-service.js';

/** Admin: a client's Web SDK datastreams (docs/web-sdk.md#datastreams). */
const tags = ['Admin: datastreams'];

const client = Type.String({ description: "The client code (Target's client code), e.g. `demo`" });

const DatastreamParams = Type.Object({
  client,
  configId: worded(
    Type.String({
      pattern: CONFIG_ID_PATTERN.source,
      description: 'The Web SDK `datastreamId`: 1 to 128 letters, digits, `_`, `:`, `.` or `-`',
    }),
    (problem) => `configId '${String(problem.value).slice(0, 80)}' is invalid: use 1 to 128 letters, digits, '_', ':', '.' or '-'`,
  ),
});

const namespace = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.-]+$' });
const propertyToken = Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' });

const DatastreamBody = Type.Object(
  {
    imsOrgId: worded(
      Type.String({
        pattern: IMS_ORG_PATTERN.source,
        description: 'The `orgId` the page configures the Web SDK with, e.g. `ABC123@AdobeOrg`',
      }),
      (problem) => `imsOrgId '${String(problem.value).slice(0, 80)}' is invalid: an IMS org such as ABC123@AdobeOrg is required`,
    ),
    thirdPartyIdNamespace: worded(
      Type.Optional(orNull(namespace)),
      "thirdPartyIdNamespace must be an identity namespace code of 1 to 128 letters, digits, '_', '.' or '-' (e.g. CRM), or null",
    ),
    propertyToken: worded(
      Type.Optional(orNull(propertyToken)),
      'propertyToken must be 1 to 128 printable characters without spaces, or null',
    ),
  },
  {
    additionalProperties: false,
    description: 'The datastream, whole: an absent optional field is cleared',
    examples: [{ imsOrgId: 'ABC123@AdobeOrg', thirdPartyIdNamespace: 'CRM', propertyToken: 'd8c5ad8e-2e9b-4d4f-9f0c-5b1a1e7f9a21' }],
  },
);

const DatastreamDocument = Type.Object(
  {
    configId: Type.String(),
    client: Type.String(),
    imsOrgId: Type.String(),
    thirdPartyIdNamespace: orNull(Type.String()),
    propertyToken: orNull(Type.String()),
    createdAt: Type.String({ description: 'ISO 8601' }),
    modifiedAt: Type.String({ description: 'ISO 8601' }),
  },
  { description: 'The stored datastream' },
);

export const listDatastreams = {
  summary: 'List a client’s datastreams, by configId',
  tags,
  security: ADMIN_KEY,
  params: Type.Object({ client }),
  response: {
    200: Type.Object({ datastreams: Type.Array(DatastreamDocument) }, { description: 'Every datastream of the client' }),
    ...restErrors(401, 403, 404),
  },
};

export const getDatastream = {
  summary: 'Read a datastream',
  tags,
  security: ADMIN_KEY,
  params: DatastreamParams,
  response: { 200: DatastreamDocument, ...restErrors(400, 401, 403, 404) },
};

export const putDatastream = {
  summary: 'Create a datastream, or replace its fields',
  description: 'A configId is unique on the server: one that belongs to another client is a 409.',
  tags,
  security: ADMIN_KEY,
  params: DatastreamParams,
  body: DatastreamBody,
  response: {
    200: Type.Object(DatastreamDocument.properties, { description: 'Replaced' }),
    201: Type.Object(DatastreamDocument.properties, { description: 'Created' }),
    ...restErrors(400, 401, 403, 404, 409, 413, 415),
  },
};

export const deleteDatastream = {
  summary: 'Delete a datastream',
  tags,
  security: ADMIN_KEY,
  params: DatastreamParams,
  response: {
    204: Type.Unsafe<void>({ type: 'null', description: 'Deleted' }),
    ...restErrors(400, 401, 403, 404),
  },
};
