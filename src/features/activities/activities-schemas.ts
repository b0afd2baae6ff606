import { Type } from '@sinclair/typebox';
import { ADMIN_KEY, anything, restErrors } from '../../http/schemas.js';
import { worded } from '../../http/validation.js';
import { ACTIVITY_ID_PATTERN } from '../decisioning/activity.js';

/**
 * Admin: a client's activities (docs/decisioning.md#managing-activities). The body of a PUT is
 * checked whole by `validateActivity` (src/features/decisioning/activity.ts), whose messages name
 * the field; the schema here documents it.
 */
const tags = ['Admin: activities'];

/** Largest activity body (the admin API's limit; an activity's offers hold up to 256 KB each). */
export const MAX_ACTIVITY_BODY_BYTES = 1024 * 1024;

const ActivityParams = Type.Object({
  client: Type.String({ description: "The client code (Target's client code), e.g. `demo`" }),
  activityId: worded(
    Type.String({ pattern: ACTIVITY_ID_PATTERN.source, description: '1 to 64 letters, digits, `_` or `-`' }),
    (problem) => `activity id '${String(problem.value).slice(0, 80)}' is invalid: use 1 to 64 letters, digits, '_' or '-'`,
  ),
});

const IfMatch = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      description: 'Optional: `"<version>"` — write only if the stored activity is at this version (412 otherwise); `*`: only if it exists',
    }),
  ),
});

const offer = Type.Object(
  {
    type: Type.String({ enum: ['html', 'json', 'redirect'] }),
    content: anything('html and redirect: text (tokens allowed); json: an object or an array'),
    name: Type.Optional(Type.String()),
    id: Type.Optional(Type.String({ description: 'The `offer.id` response token; `<activityId>.<experienceId>.<location>` when absent' })),
  },
  { additionalProperties: false },
);

const activityFields = {
  name: Type.String({ maxLength: 250 }),
  type: Type.String({ enum: ['ab', 'xt'] }),
  state: Type.String({ enum: ['draft', 'live', 'paused', 'archived'], description: 'Only `live` decides' }),
  priority: Type.Integer({ minimum: 0, maximum: 999, description: 'Higher wins a location; default 0' }),
  startsAt: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'ISO 8601 with a time zone; inclusive' })),
  endsAt: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'ISO 8601 with a time zone; exclusive' })),
  audience: Type.Optional(anything('JsonLogic over the decision context: who may enter (absent or null: everyone)')),
  experiences: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.Optional(Type.String()),
      allocation: Type.Optional(Type.Number({ description: 'ab: percent of the visitors, steps of 0.01; all sum to 100' })),
      audience: Type.Optional(anything('xt: who gets this experience; the first matching one wins')),
      offers: Type.Unsafe<Record<string, unknown>>({
        type: 'object',
        additionalProperties: offer,
        description: 'Location (mbox name, `target-global-mbox`, `view:<name>`) → offer; the same locations in every experience',
      }),
    }),
  ),
  metrics: Type.Array(Type.Object({ name: Type.String(), type: Type.Literal('click'), location: Type.String() })),
};

/**
 * Documentation of the body only: the PUT route compiles no validator (validateActivity checks the
 * activity, with messages naming the field, and the service the id).
 */
const ActivityBody = Type.Unsafe<unknown>({
  type: 'object',
  properties: activityFields,
  description:
    'The activity, whole (docs/decisioning.md#activities); `id`, `version`, `createdAt`, `modifiedAt` of an answer may be sent back and are ignored',
  examples: [
    {
      name: 'Spring hero',
      type: 'ab',
      state: 'live',
      priority: 10,
      experiences: [
        { id: 'A', name: 'Control', allocation: 50, offers: { hero: { type: 'html', content: '<h1>Hello</h1>' } } },
        {
          id: 'B',
          name: 'Spring',
          allocation: 50,
          offers: { hero: { type: 'html', content: '<h1>Spring is here</h1>' } },
        },
      ],
      metrics: [{ name: 'buy', type: 'click', location: 'buy-button' }],
    },
  ],
});

const StoredActivityDocument = Type.Object(
  {
    id: Type.String(),
    version: Type.Integer({ description: '1 when created, one more with every replacement' }),
    ...activityFields,
    createdAt: Type.String({ description: 'When version 1 was stored' }),
    modifiedAt: Type.String({ description: 'When this version was stored' }),
  },
  { description: 'The stored activity (ETag: `"<version>"`)' },
);

export const listActivities = {
  summary: 'List a client’s activities, by id',
  tags,
  security: ADMIN_KEY,
  params: Type.Object({ client: ActivityParams.properties.client }),
  response: {
    200: Type.Object({ activities: Type.Array(StoredActivityDocument) }, { description: 'Every activity of the client, ordered by id' }),
    ...restErrors(401, 403, 404),
  },
};

export const getActivity = {
  summary: 'Read an activity',
  tags,
  security: ADMIN_KEY,
  params: ActivityParams,
  response: { 200: StoredActivityDocument, ...restErrors(400, 401, 403, 404) },
};

export const putActivity = {
  summary: 'Create an activity, or replace it with its next version',
  tags,
  security: ADMIN_KEY,
  params: ActivityParams,
  headers: IfMatch,
  body: ActivityBody,
  response: {
    200: Type.Object(StoredActivityDocument.properties, { description: 'Replaced: the next version' }),
    201: Type.Object(StoredActivityDocument.properties, { description: 'Created: version 1' }),
    ...restErrors(400, 401, 403, 404, 412, 413, 415),
  },
};

export const deleteActivity = {
  summary: 'Delete an activity',
  tags,
  security: ADMIN_KEY,
  params: ActivityParams,
  headers: IfMatch,
  response: {
    204: Type.Unsafe<void>({ type: 'null', description: 'Deleted' }),
    ...restErrors(400, 401, 403, 404, 412),
  },
};

const PreviewStep = Type.Object({
  location: Type.String(),
  activityId: Type.String(),
  type: Type.String({ enum: ['ab', 'xt'] }),
  priority: Type.Integer(),
  outcome: Type.String({
    enum: ['outside-dates', 'audience-not-matched', 'allocated', 'experience-matched', 'no-experience-matched'],
    description: 'What became of the activity: passed over (dates, audience, no experience) or chosen (allocated for ab, matched for xt)',
  }),
  experienceId: Type.Optional(Type.String()),
  bucket: Type.Optional(Type.Integer({ description: 'ab: the visitor’s allocation bucket, 0 to 9999' })),
});

export const previewActivities = {
  summary: 'Preview what a visitor would see at some locations, and why, counting and writing nothing',
  description:
    'Decides the client’s live activities exactly as Delivery would, from the visitor’s stored profile with the sample’s profile parameters laid over it in memory (docs/decisioning.md#preview).',
  tags,
  security: ADMIN_KEY,
  params: Type.Object({ client: ActivityParams.properties.client }),
  body: worded(
    Type.Object(
      {
        tntId: Type.Optional(Type.String({ minLength: 1 })),
        thirdPartyId: Type.Optional(Type.String({ minLength: 1 })),
        marketingCloudVisitorId: Type.Optional(Type.String({ minLength: 1 })),
        locations: Type.Array(Type.String({ minLength: 1, maxLength: 250 }), {
          minItems: 1,
          maxItems: 50,
          description: 'mbox names, `target-global-mbox` for the page load',
        }),
        profileParameters: Type.Optional(
          Type.Record(Type.String(), Type.String(), { description: 'Attributes as this request would set them (not stored)' }),
        ),
        url: Type.Optional(Type.String({ maxLength: 2048, description: 'The page’s URL, for conditions on it' })),
      },
      { additionalProperties: false, description: 'A sample request; at most one visitor id (none: a new visitor)' },
    ),
    { type: 'preview body must be a JSON object' },
  ),
  response: {
    200: Type.Object(
      {
        visitor: Type.Object({
          known: Type.Boolean({ description: 'A stored profile was found for the id' }),
          ids: Type.Record(Type.String(), Type.Array(Type.String()), { description: 'Every id of the visitor, by kind' }),
        }),
        locations: Type.Array(
          Type.Object({
            location: Type.String(),
            activityId: Type.Union([Type.String(), Type.Null()]),
            experienceId: Type.Union([Type.String(), Type.Null()]),
            offer: Type.Union([
              Type.Object({ type: Type.String(), content: anything('The offer as Delivery would answer it') }),
              Type.Null(),
            ]),
            reason: Type.String({ description: 'Why, in a sentence' }),
            steps: Type.Array(PreviewStep, { description: 'Every activity considered, in decision order' }),
          }),
        ),
      },
      { description: 'The decision at each location, with its reason' },
    ),
    ...restErrors(400, 401, 403, 404, 415),
  },
};
