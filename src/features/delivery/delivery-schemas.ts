import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { anything, orNull, restErrors } from '../../http/schemas.js';
import { type FieldProblem, worded } from '../../http/validation.js';

/**
 * `POST /rest/v1/delivery`: the parts of Adobe's Delivery API request that profile-edge acts on.
 * Every object is open: the rest of the model (`context.*`, `property`, `trace`, `experienceCloud`,
 * `telemetry`, mbox `parameters`, `order`, …) is accepted and ignored, never rejected. A field
 * that holds null counts as absent, as Adobe's SDK sends it. What a schema cannot say stays in
 * delivery-request.ts: the visitor-id rules, the attribute rules, and the limits the
 * configuration sets (mboxes per call, profile parameters per mbox).
 */
const open = <P extends Record<string, TSchema>>(properties: P, description?: string, examples?: unknown[]) =>
  Type.Object(properties, { additionalProperties: true, ...(description ? { description } : {}), ...(examples ? { examples } : {}) });

const isRequired = (problem: FieldProblem) => `${problem.field} is required`;

/** A string that must be present, non-empty and not null (null and '' read as "missing"). */
const requiredText = (maxLength: number, description: string) =>
  worded(Type.String({ minLength: 1, maxLength, description }), {
    minLength: isRequired,
    type: (problem) => (problem.value === null ? isRequired(problem) : undefined),
  });

const optionalText = (maxLength: number, description: string) => Type.Optional(orNull(Type.String({ maxLength, description })));

const ParameterValue = worded(
  Type.Unsafe<string | number | boolean>({ type: ['string', 'number', 'boolean'] }),
  (problem) =>
    `${problem.parent}: value of attribute '${problem.name.slice(0, 64)}' ` +
    (problem.value === null ? 'must not be null' : 'must be a string, number or boolean'),
);

const ProfileParameters = Type.Optional(
  orNull(
    Type.Unsafe<Record<string, string | number | boolean>>({
      type: 'object',
      additionalProperties: ParameterValue,
      description:
        'Written to the visitor’s profile before anything else of the request: names ≤ 128 characters, values ≤ 256 ' +
        '(numbers and booleans are stored as text), at most 50 per mbox or pageLoad; an empty value changes nothing.',
    }),
  ),
);

const PageLoad = Type.Optional(orNull(open({ profileParameters: ProfileParameters }, 'The page load (target-global-mbox)')));

const Mbox = open({
  index: worded(
    Type.Optional(orNull(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Defaults to the position' }))),
    (problem) => `${problem.field} must be a whole number of 0 or more`,
  ),
  name: requiredText(250, 'The mbox (location) name'),
  profileParameters: ProfileParameters,
});

const Mboxes = Type.Optional(orNull(Type.Array(Mbox, { description: 'At most 50' })));

const View = open({
  name: optionalText(250, 'The view name'),
  key: optionalText(512, 'The view key'),
  profileParameters: ProfileParameters,
});

const CustomerId = open({
  id: worded(Type.String({ description: 'The id in that data source' }), {
    type: (problem) => (problem.value === null ? isRequired(problem) : undefined),
  }),
  integrationCode: requiredText(50, 'The data source'),
  authenticatedState: optionalText(32, 'Only `authenticated` ids link to profile data'),
});

const VisitorIds = open(
  {
    tntId: Type.Optional(orNull(Type.String({ description: 'The visitor’s tntId, ≤ 128 characters, location hint allowed' }))),
    thirdPartyId: Type.Optional(orNull(Type.String({ description: '≤ 128 characters; links to the tntId’s profile (merging them)' }))),
    marketingCloudVisitorId: Type.Optional(orNull(Type.String({ description: 'The ECID, ≤ 128 characters' }))),
    customerIds: Type.Optional(orNull(Type.Array(CustomerId, { maxItems: 50 }))),
  },
  'The ids the visitor is known by; without any, a tntId is minted',
);

export const DeliveryBody = worded(
  open(
    {
      context: worded(
        open({ beacon: Type.Optional(anything('`true`: answer 204 with no body (after writing)')) }, 'Required; its fields are ignored'),
        'context is required and must be an object',
      ),
      requestId: optionalText(128, 'Echoed; minted when absent'),
      id: Type.Optional(orNull(VisitorIds)),
      execute: Type.Optional(orNull(open({ pageLoad: PageLoad, mboxes: Mboxes }))),
      prefetch: Type.Optional(orNull(open({ pageLoad: PageLoad, views: Type.Optional(orNull(Type.Array(View))), mboxes: Mboxes }))),
      notifications: Type.Optional(
        orNull(
          Type.Array(
            open({
              id: requiredText(200, 'The notification id: counted once, however often it is sent'),
              type: optionalText(32, '`display` (an impression of a prefetched option) or `click` (a conversion)'),
              tokens: Type.Optional(
                orNull(
                  Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 100, description: 'Event tokens of the answer it notifies' }),
                ),
              ),
              profileParameters: ProfileParameters,
            }),
          ),
        ),
      ),
    },
    'A Delivery API request. JSON, sent as application/json or text/plain (at.js avoids a preflight so).',
    [
      {
        context: { channel: 'web' },
        id: { tntId: 'visitor-1', thirdPartyId: 'crm-1' },
        execute: { pageLoad: { profileParameters: { lastPage: 'checkout' } }, mboxes: [{ index: 0, name: 'hero' }] },
      },
    ],
  ),
  { type: 'Request body must be a JSON object with a context' },
);

export type DeliveryBody = Static<typeof DeliveryBody>;

// Printable, no whitespace, none of `? { } /` (Target's sessionId rule), 1–128 characters.
const SESSION_ID = '^[^\\s?{}/\\u0000-\\u001F\\u007F-\\u009F]{1,128}$';
const badSessionId = 'sessionId must be 1 to 128 printable characters without spaces, ?, {, } or /';

export const DeliveryQuery = Type.Object({
  client: Type.Optional(Type.String({ description: 'The client code (at.js); first choice' })),
  imsOrgId: Type.Optional(
    Type.String({ description: 'The IMS org of a client (Adobe’s Node SDK sends only this); used without `client`' }),
  ),
  sessionId: worded(Type.String({ minLength: 1, maxLength: 128, pattern: SESSION_ID, description: 'The visitor’s session' }), {
    maxLength: badSessionId,
    pattern: badSessionId,
  }),
});

const OptionAnswer = Type.Object(
  {
    type: Type.Optional(
      Type.String({
        description: '`html`, `json` or `redirect`; options of an imported Adobe artifact may also be `actions` or `dynamic`',
      }),
    ),
    content: Type.Optional(Type.Unknown({ description: 'html and redirect: text; json: the offer’s object or array, tokens rendered' })),
    responseTokens: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), {
      description: 'The client’s response tokens that have a value here',
    }),
    eventToken: Type.Optional(
      Type.String({ description: 'Prefetch only: send it back in a display notification to count the impression' }),
    ),
  },
  { description: 'What the deciding activity’s experience shows here', additionalProperties: true },
);
const Options = Type.Array(OptionAnswer, {
  description: 'The decided offer (one; an imported artifact’s page load and views may combine several); empty when nothing decides here',
});
const Metrics = Type.Optional(
  Type.Array(
    Type.Object(
      {
        type: Type.Optional(Type.String({ description: '`click`' })),
        eventToken: Type.Optional(Type.String({ description: 'Send it back in a click notification' })),
      },
      { additionalProperties: true },
    ),
    { description: 'The deciding activity’s click metrics' },
  ),
);
const MboxAnswer = Type.Object({ index: Type.Integer(), name: Type.String(), options: Options, metrics: Metrics });
const ViewAnswer = Type.Object({
  name: Type.Optional(Type.String()),
  key: Type.Optional(Type.String()),
  options: Options,
  metrics: Metrics,
});
const PageLoadAnswer = Type.Optional(Type.Object({ options: Options, metrics: Metrics }));

const DeliveryResponse = Type.Object(
  {
    status: Type.Literal(200),
    requestId: Type.String(),
    client: Type.String(),
    id: Type.Object({
      tntId: Type.String({ description: 'As sent, or minted (32 hex characters)' }),
      thirdPartyId: Type.Optional(Type.String()),
      marketingCloudVisitorId: Type.Optional(Type.String()),
      customerIds: Type.Optional(
        Type.Array(Type.Object({ id: Type.String(), integrationCode: Type.String(), authenticatedState: Type.Optional(Type.String()) })),
      ),
    }),
    execute: Type.Optional(Type.Object({ pageLoad: PageLoadAnswer, mboxes: Type.Optional(Type.Array(MboxAnswer)) })),
    prefetch: Type.Optional(
      Type.Object({
        pageLoad: PageLoadAnswer,
        views: Type.Optional(Type.Array(ViewAnswer)),
        mboxes: Type.Optional(Type.Array(MboxAnswer)),
      }),
    ),
    notifications: Type.Optional(Type.Array(Type.Object({ id: Type.String() }))),
  },
  { description: 'Every id the request sent is echoed; the tntId is always there' },
);

export const deliver = {
  summary: 'Deliver: identify the visitor, store profile parameters, answer the mboxes',
  description:
    'What a page (at.js, Adobe’s SDKs) calls on every view. The client is `client`, else the one whose imsOrgId matches, ' +
    'else the only client of the server. No token: browsers call it.',
  tags: ['Delivery'],
  querystring: DeliveryQuery,
  body: DeliveryBody,
  response: {
    200: DeliveryResponse,
    204: Type.Unsafe<void>({ type: 'null', description: 'A beacon (`context.beacon: true`): written, no body' }),
    ...restErrors(400, 404, 413),
  },
};

export const preflight = {
  summary: 'CORS preflight',
  tags: ['Delivery'],
  response: { 204: Type.Unsafe<void>({ type: 'null', description: 'Allowed: the Origin is echoed with credentials' }) },
};
