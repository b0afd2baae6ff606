import { Type } from '@sinclair/typebox';
import { map, PROFILE_TOKEN, restErrors } from '../../http/schemas.js';

/**
 * The profile fetch API: `GET /rest/v1/profiles/{tntId}`, `…/thirdPartyId/{id}`,
 * `…/marketingCloudVisitorId/{ecid}`, each `?client=`. The id rules (blocklist, lengths from the
 * configuration, location hints) are the visitor-id rules of src/domain/identity.ts.
 */
const Timestamp = Type.String({ description: 'ISO-8601 with milliseconds and offset', examples: ['2026-03-01T10:15:30.123Z'] });

export const ProfileDocument = Type.Object(
  {
    client: Type.String(),
    visitorId: Type.String({ description: 'The id used for the lookup, as sent' }),
    modifiedAt: Timestamp,
    profileAttributes: map(Type.Object({ value: Type.String(), modifiedAt: Timestamp }), {
      description: 'Every attribute by name; values are always strings',
    }),
  },
  { description: 'A profile with its attributes' },
);

const idParams = (description: string) => Type.Object({ id: Type.String({ description }) });

function fetchSchema(summary: string, idDescription: string) {
  return {
    summary,
    tags: ['Profile fetch'],
    security: PROFILE_TOKEN,
    params: idParams(idDescription),
    querystring: Type.Object({ client: Type.String({ description: 'The client code' }) }),
    response: { 200: ProfileDocument, ...restErrors(400, 401, 403, 404) },
  };
}

export const fetchByTntId = fetchSchema(
  'Fetch a profile by tntId',
  'The tntId (mboxPC), ≤ 128 characters; a location hint `.<cluster>_<node>` is allowed and ignored for the lookup',
);
export const fetchByThirdPartyId = fetchSchema('Fetch a profile by thirdPartyId', 'The thirdPartyId (mbox3rdPartyId), ≤ 256 characters');
export const fetchByEcid = fetchSchema('Fetch a profile by marketingCloudVisitorId (ECID)', 'The ECID, ≤ 128 characters');
