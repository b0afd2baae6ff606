import { type TSchema, Type } from '@sinclair/typebox';
import { ADMIN_KEY, ClientParams, restErrors } from '../../http/schemas.js';
import { worded } from '../../http/validation.js';

/**
 * Admin: a client's profile token, Adobe-shaped (`/{tenant}/target/authentication/token`). The
 * answers are `application/vnd.adobe.target.v1+json`.
 */
const TokenQuery = Type.Object({
  authorizationScope: worded(
    Type.Literal('profile_api', { description: 'Always `profile_api`' }),
    "authorizationScope must be 'profile_api'",
  ),
});

const tokenFields = {
  tokenType: Type.Literal('Bearer'),
  scope: Type.Literal('profile_api'),
  expiresIn: Type.Integer({ description: 'Seconds left' }),
  tokenId: Type.String({ description: 'The public part of the token, to tell tokens apart' }),
  createdAt: Type.String(),
};

const TARGET_JSON = 'application/vnd.adobe.target.v1+json';
const answer = (description: string, schema: TSchema) => ({ description, content: { [TARGET_JSON]: { schema } } }) as unknown as TSchema;

const tags = ['Admin: tokens'];

export const issueToken = {
  summary: 'Issue a new profile token (the previous one is revoked at once)',
  tags,
  security: ADMIN_KEY,
  params: ClientParams,
  querystring: TokenQuery,
  response: {
    201: answer('The new token: the only time its secret is shown', Type.Object({ accessToken: Type.String(), ...tokenFields })),
    ...restErrors(400, 401, 403, 404),
  },
};

export const currentToken = {
  summary: 'Describe the current profile token (without its secret: only a hash is stored)',
  tags,
  security: ADMIN_KEY,
  params: ClientParams,
  querystring: TokenQuery,
  response: { 200: answer('The current token', Type.Object(tokenFields)), ...restErrors(400, 401, 403, 404) },
};
