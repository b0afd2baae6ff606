import { Type } from '@sinclair/typebox';
import { ADMIN_KEY, map, orNull, restErrors, stringEnum } from '../../http/schemas.js';

const tags = ['Profile scripts'];

export const ScriptParams = Type.Object({
  client: Type.String({ description: 'The client code' }),
  name: Type.String({ description: 'The script name: a letter, then up to 63 letters, digits or `_`; its value is `user.<name>`' }),
});

const REASONS = ['budget', 'memory', 'threw', 'tooLong'] as const;

export const ScriptBody = Type.Object(
  {
    source: Type.String({
      minLength: 1,
      maxLength: 10_000,
      description: 'The script: a function body; its return value becomes `user.<name>`',
    }),
    enabled: Type.Optional(Type.Boolean({ description: 'Default true; false keeps it stored without running it' })),
    description: Type.Optional(orNull(Type.String({ maxLength: 1000 }))),
  },
  { additionalProperties: false },
);

const ScriptDocument = Type.Object(
  {
    name: Type.String(),
    attribute: Type.String({ description: '`user.<name>`' }),
    source: Type.String(),
    description: orNull(Type.String()),
    enabled: Type.Boolean(),
    status: stringEnum(['active', 'disabled'] as const, {
      description: 'active: runs on every call; disabled: by the admin API or by the server',
    }),
    disabledReason: orNull(stringEnum(REASONS, { description: 'Why the server disabled it; null when it did not' })),
    disabledMessage: orNull(Type.String()),
    disabledAt: orNull(Type.String({ description: 'ISO 8601' })),
    version: Type.Integer({ description: '1 when created, one more with every PUT' }),
    createdAt: Type.String(),
    modifiedAt: Type.String(),
  },
  { description: 'A profile script' },
);

export const listScripts = {
  summary: 'List a client’s profile scripts, by name',
  tags,
  security: ADMIN_KEY,
  params: Type.Object({ client: ScriptParams.properties.client }),
  response: {
    200: Type.Object({ scripts: Type.Array(ScriptDocument) }, { description: 'Every script of the client, ordered by name' }),
    ...restErrors(401, 403, 404),
  },
};

export const getScript = {
  summary: 'Read a profile script',
  tags,
  security: ADMIN_KEY,
  params: ScriptParams,
  response: { 200: ScriptDocument, ...restErrors(400, 401, 403, 404) },
};

export const putScript = {
  summary: 'Create or replace a profile script (re-enables a disabled one)',
  tags,
  security: ADMIN_KEY,
  params: ScriptParams,
  body: ScriptBody,
  response: {
    200: Type.Object(ScriptDocument.properties, { description: 'Replaced: the next version' }),
    201: Type.Object(ScriptDocument.properties, { description: 'Created: version 1' }),
    ...restErrors(400, 401, 403, 404, 413, 415),
  },
};

export const deleteScript = {
  summary: 'Delete a profile script (409 while an activity’s condition reads its attribute)',
  tags,
  security: ADMIN_KEY,
  params: ScriptParams,
  response: {
    204: Type.Unsafe<void>({ type: 'null', description: 'Deleted; its attribute stays in profiles' }),
    ...restErrors(400, 401, 403, 404, 409),
  },
};

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

export const TryBody = Type.Object(
  {
    source: Type.Optional(
      Type.String({ minLength: 1, maxLength: 10_000, description: 'Unsaved source to try; the stored one by default' }),
    ),
    tntId: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    thirdPartyId: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    marketingCloudVisitorId: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    mbox: Type.Optional(
      Type.Object(
        { name: Type.String({ minLength: 1, maxLength: 250 }), parameters: Type.Optional(map(Scalar)) },
        { additionalProperties: false },
      ),
    ),
    profileParameters: Type.Optional(map(Scalar)),
    context: Type.Optional(
      Type.Object(
        {
          url: Type.Optional(Type.String({ maxLength: 2048 })),
          referringUrl: Type.Optional(Type.String({ maxLength: 2048 })),
          userAgent: Type.Optional(Type.String({ maxLength: 1024 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, description: 'A sample request; at most one visitor id (none: a new visitor)' },
);

export const tryScript = {
  summary: 'Run a profile script against a visitor and a sample request, storing nothing',
  tags,
  security: ADMIN_KEY,
  params: ScriptParams,
  body: TryBody,
  response: {
    200: Type.Object(
      {
        result: orNull(Type.String({ description: 'The value as the attribute would hold it' })),
        attribute: Type.String(),
        wouldWrite: orNull(Type.String({ description: 'What this call would store in the attribute; null: nothing' })),
        locals: map(Type.String(), { description: 'The script’s locals after the run' }),
        error: orNull(
          Type.Object(
            { reason: stringEnum(REASONS), message: Type.String() },
            { description: 'Why the run failed; the script is not disabled' },
          ),
        ),
      },
      { description: 'The trial run' },
    ),
    ...restErrors(400, 401, 403, 404, 415),
  },
};
