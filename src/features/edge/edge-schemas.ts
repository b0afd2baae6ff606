import { type TSchema, Type } from '@sinclair/typebox';
import { anything } from '../../http/schemas.js';

/**
 * The Edge Network routes Adobe's Web SDK calls (docs/web-sdk.md#routes). The body is JSON sent as
 * `text/plain`; the schema checks only its outline (an object; `events`, `query`, `meta`,
 * `consent` of the right kinds): edge-request.ts reads the rest, naming any field it refuses.
 * Errors are RFC 7807 problem documents, as the Edge Network answers them.
 */
const tags = ['Web SDK (Edge Network)'];

export const EdgeQuery = Type.Object({
  configId: Type.Optional(Type.String({ description: 'The datastream id the Web SDK is configured with (`datastreamId`); required' })),
  requestId: Type.Optional(Type.String({ maxLength: 128, description: 'The call’s id, echoed in the answer' })),
});

const HintParams = Type.Object({
  hint: Type.String({ description: 'A location hint segment (`or2`, `t35`): accepted and ignored' }),
});

const EdgeBody = Type.Object(
  {
    events: Type.Optional(Type.Array(anything('An Experience Event: `xdm`, `data` (`__adobe.target`), `query.personalization`'))),
    query: Type.Optional(Type.Object({}, { additionalProperties: true })),
    meta: Type.Optional(Type.Object({}, { additionalProperties: true, description: '`state.entries` carries the identity cookie' })),
    consent: Type.Optional(Type.Array(anything('`{standard: "Adobe", version: "1.0", value: {general: "in"}}`'))),
  },
  {
    additionalProperties: true,
    description: 'The Web SDK’s request, JSON sent as text/plain',
    examples: [
      {
        events: [
          {
            xdm: {
              eventType: 'web.webpagedetails.pageViews',
              identityMap: { CRM: [{ id: 'crm-123', authenticatedState: 'authenticated' }] },
            },
            data: { __adobe: { target: { 'profile.favColor': 'blue' } } },
            query: { personalization: { decisionScopes: ['hero', '__view__'] } },
          },
        ],
        query: { identity: { fetch: ['ECID'] } },
        meta: { state: { domain: 'example.com', cookiesEnabled: true } },
      },
    ],
  },
);

const EdgeAnswer = Type.Object(
  {
    requestId: Type.String(),
    handle: Type.Array(
      Type.Object(
        { type: Type.String(), payload: Type.Array(anything('The handle’s entries')), eventIndex: Type.Optional(Type.Integer()) },
        { additionalProperties: false },
      ),
      {
        description:
          '`identity:result` (the ECID), `state:store` (the identity cookie; consent), `personalization:decisions` (propositions, per event)',
      },
    ),
  },
  { description: 'The Edge Network’s answer' },
);

/** An RFC 7807 problem document, as the Edge Network's errors are. */
const Problem = Type.Object(
  {
    type: Type.String({ description: 'A URI naming the kind of problem: `urn:profile-edge:error:<code>`' }),
    status: Type.Integer(),
    title: Type.String(),
    detail: Type.String({ description: 'What was wrong, naming the field or limit' }),
  },
  { description: 'A problem document (RFC 7807)' },
);

const MEANINGS: Record<number, string> = {
  400: 'Invalid call: unknown or missing configId, a body that is not JSON, a field over its limit',
  404: 'No such Edge route',
  405: 'Only POST (and OPTIONS) are answered',
  413: 'Request body over the limit',
  503: 'Temporarily unavailable (see Retry-After)',
  507: 'The server is out of disk space: nothing was stored',
};

export function problemErrors(...statuses: number[]): Record<number, TSchema> {
  const answers: Record<number, TSchema> = {};
  for (const status of statuses) {
    answers[status] = { description: MEANINGS[status], content: { 'application/problem+json': { schema: Problem } } } as unknown as TSchema;
  }
  return answers;
}

const SUMMARY: Record<string, string> = {
  interact: 'Web SDK interact: identify, write profile parameters, answer propositions, count notifications',
  collect: 'Web SDK collect (sendBeacon): count display and click notifications; 204',
  'privacy/set-consent': 'Web SDK setConsent: store the consent cookie, answer the identity',
  'identity/acquire': 'Web SDK getIdentity: answer the ECID (minted when the call has none)',
};

export function edgeCall(action: string, withHint: boolean) {
  return {
    summary: SUMMARY[action] ?? action,
    description: withHint ? 'The same call with a location hint segment, which is ignored.' : 'No token: browsers call it.',
    tags,
    querystring: EdgeQuery,
    ...(withHint ? { params: HintParams } : {}),
    body: EdgeBody,
    response: {
      ...(action === 'collect' ? { 204: Type.Unsafe<void>({ type: 'null', description: 'Counted; no body' }) } : { 200: EdgeAnswer }),
      ...problemErrors(400, 413, 503, 507),
    },
  };
}

export function edgePreflight(withHint: boolean) {
  return {
    summary: 'CORS preflight (the Web SDK sends none; other clients may)',
    tags,
    ...(withHint ? { params: HintParams } : {}),
    response: { 204: Type.Unsafe<void>({ type: 'null', description: 'Allowed: the Origin is echoed with credentials' }) },
  };
}
