import { Type } from '@sinclair/typebox';
import { ClientParams, m2Errors, m2Xml, PROFILE_TOKEN } from '../../http/schemas.js';

/**
 * The single profile update, `GET|POST /m2/{client}/profile/update`. These schemas document the
 * wire only: the strict form reader (src/wire/form-params.ts) reads the raw query string and body,
 * keeping repeated names in order and refusing undecodable percent-encoding, which a generic query
 * parser and schema would not.
 */
const UpdateParameters = Type.Object(
  {
    mboxPC: Type.Optional(Type.String({ description: 'The tntId of the profile to update (exactly one of mboxPC, mbox3rdPartyId)' })),
    mbox3rdPartyId: Type.Optional(Type.String({ description: 'The thirdPartyId of the profile to update' })),
  },
  {
    additionalProperties: Type.String(),
    description:
      'URL-encoded UTF-8. Every `profile.<name>=<value>` parameter sets attribute `<name>` (case-sensitive); other parameters are ignored. ' +
      'Empty values change nothing. Query string ≤ 8 KB, body ≤ 60 KB.',
  },
);

const SUCCESS = '<response><success>true</success><message>Request successfully submitted</message></response>';

const description =
  'Update-only: an unknown key creates nothing (404). The update is applied before the answer, so a fetch right after sees it. ' +
  'Attributes are `profile.<name>=<value>` parameters, e.g. `?mboxPC=visitor-1&profile.tier=gold`.';

const response = {
  200: m2Xml('Applied', SUCCESS),
  ...m2Errors(400, 401, 403, 404, 413, 414),
};

export const updateByGet = {
  summary: 'Update one profile (query string)',
  description,
  tags: ['Single profile update'],
  security: PROFILE_TOKEN,
  params: ClientParams,
  querystring: UpdateParameters,
  response,
};

export const updateByPost = {
  ...updateByGet,
  summary: 'Update one profile (form body, or query string)',
  body: {
    content: {
      'application/x-www-form-urlencoded': { schema: UpdateParameters },
    },
  },
};
