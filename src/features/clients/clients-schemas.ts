import { Type } from '@sinclair/typebox';
import { ADMIN_KEY, ClientParams, restErrors } from '../../http/schemas.js';
import { worded } from '../../http/validation.js';
import { MAX_RESPONSE_TOKENS } from '../decisioning/response-tokens.js';
import { CLIENT_CODE, IMS_ORG_ID } from './client-settings.js';

/** Admin: the clients (tenants) and their settings. */
const ClientSettingsDocument = Type.Object(
  {
    client: Type.String(),
    requireAuth: Type.Boolean({ description: 'Profile API calls need the client’s profile token' }),
    profileLifetimeDays: Type.Integer({ description: 'An untouched profile is gone after this many days' }),
    imsOrgId: Type.Union([Type.String(), Type.Null()], { description: 'Names the client in Delivery calls that carry only an IMS org' }),
    responseTokens: Type.Array(Type.String(), {
      description: 'The response tokens each option of its Delivery answers carries (the default list unless chosen)',
    }),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { description: 'A client’s settings' },
);

const tags = ['Admin: clients'];

export const listClients = {
  summary: 'List the clients',
  tags,
  security: ADMIN_KEY,
  response: { 200: Type.Object({ clients: Type.Array(ClientSettingsDocument) }, { description: 'Every client' }), ...restErrors(401, 403) },
};

export const getClient = {
  summary: 'Read a client’s settings',
  tags,
  security: ADMIN_KEY,
  params: ClientParams,
  response: { 200: ClientSettingsDocument, ...restErrors(401, 403, 404) },
};

const imsOrgIdRule = "imsOrgId must look like 'ABC123@AdobeOrg', or be null";
const responseTokensRule = `responseTokens must be a list of at most ${MAX_RESPONSE_TOKENS} different response-token names, or null for the default list`;

/** Any of the settings; unknown fields are an error here (a typo must not pass as a default). */
const SettingsPatch = worded(
  Type.Unsafe<{ requireAuth?: boolean; profileLifetimeDays?: number; imsOrgId?: string | null; responseTokens?: string[] | null } | null>({
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {
      requireAuth: worded(Type.Boolean(), 'requireAuth must be true or false'),
      profileLifetimeDays: worded(
        Type.Integer({ minimum: 1, maximum: 90, description: '1 to 90, default 14' }),
        'profileLifetimeDays must be a whole number from 1 to 90',
      ),
      imsOrgId: worded(Type.Unsafe<string | null>({ type: ['string', 'null'], pattern: IMS_ORG_ID.source }), imsOrgIdRule),
      responseTokens: worded(
        Type.Unsafe<string[] | null>({
          type: ['array', 'null'],
          items: { type: 'string', maxLength: 200 },
          maxItems: MAX_RESPONSE_TOKENS,
          uniqueItems: true,
          description: 'e.g. `activity.id`, `profile.loyalty`; null: back to the default list (docs/decisioning.md#response-tokens)',
        }),
        responseTokensRule,
      ),
    },
    description:
      'Settings to change; a new client starts from requireAuth true, profileLifetimeDays 14, imsOrgId null, responseTokens null (the default list)',
    examples: [{ profileLifetimeDays: 30, imsOrgId: 'ABC123@AdobeOrg' }],
  }),
  {
    type: 'client settings must be a JSON object',
    additionalProperties: (problem) =>
      `unknown client setting '${String(problem.params.additionalProperty).slice(0, 64)}' (known: requireAuth, profileLifetimeDays, imsOrgId, responseTokens)`,
  },
);

export const putClient = {
  summary: 'Create a client, or change its settings',
  tags,
  security: ADMIN_KEY,
  params: Type.Object({
    client: worded(
      Type.String({ pattern: CLIENT_CODE.source, description: '1 to 64 letters, digits, `_` or `-`' }),
      (problem) => `client code '${String(problem.value).slice(0, 80)}' is invalid: use 1 to 64 letters, digits, '_' or '-'`,
    ),
  }),
  body: SettingsPatch,
  response: {
    200: Type.Object(ClientSettingsDocument.properties, { description: 'Updated' }),
    201: Type.Object(ClientSettingsDocument.properties, { description: 'Created' }),
    ...restErrors(400, 401, 403, 409, 415),
  },
};
