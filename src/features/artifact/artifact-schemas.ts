import { Type } from '@sinclair/typebox';
import { ADMIN_KEY, anything, restErrors } from '../../http/schemas.js';

/**
 * The rules artifact for Adobe's SDK (docs/artifact.md#serving) and the import of Adobe's own
 * (docs/artifact.md#import). Artifacts are validated whole by `readAdobeArtifact`
 * (import-artifact.ts), whose messages name the field; the schemas here document them.
 */

/** Largest artifact the import accepts (Adobe's artifacts of large accounts run to a few MB). */
export const MAX_ARTIFACT_BODY_BYTES = 20 * 1024 * 1024;

const ClientParam = Type.Object({ client: Type.String({ description: "The client code (Target's client code), e.g. `demo`" }) });

const ArtifactJson = anything('Adobe’s rules artifact, format 1.x: `version`, `meta`, `globalMbox`, `rules: {mboxes, views}`, …');

export const getRules = {
  summary: 'The rules artifact of a client, for Adobe’s SDK in on-device or hybrid mode',
  description:
    'Adobe’s CDN path, so that only the host of the SDK’s `artifactLocation` changes. Built from the client’s live activities ' +
    '(locations that need the profile are listed as remote) and its imported artifact; never any profile data. `ETag` and ' +
    '`304` on `If-None-Match`.',
  tags: ['Artifact'],
  params: Type.Object({
    client: Type.String({ description: 'The client code' }),
    environment: Type.String({ description: '`production`' }),
  }),
  headers: Type.Object({ 'if-none-match': Type.Optional(Type.String({ description: 'The ETag of the copy the SDK has' })) }),
  response: {
    200: ArtifactJson,
    304: Type.Unsafe<void>({ type: 'null', description: 'The copy named by If-None-Match is current' }),
    ...restErrors(404),
  },
};

const ImportedActivity = Type.Object({
  id: Type.String({ description: '`adobe:<Adobe’s activity id>`: the name in reports' }),
  name: Type.String(),
  type: Type.String({ description: 'As Adobe wrote it (`ab`, `xt`, `landing`…)' }),
  experiences: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
  locations: Type.Array(Type.String({ description: 'An mbox name, or `view:<name>`' })),
  metrics: Type.Array(Type.Object({ name: Type.String() })),
});

const ImportSummary = Type.Object(
  {
    version: Type.Integer({ description: '1 on the first import, +1 on each replacement' }),
    importedAt: Type.String({ description: 'ISO 8601' }),
    artifactVersion: Type.String({ description: 'The artifact’s own `version` (1.x)' }),
    clientCode: Type.Union([Type.String(), Type.Null()], { description: 'The artifact’s `meta.clientCode`: what allocation hashes' }),
    rules: Type.Integer(),
    mboxes: Type.Array(Type.String()),
    views: Type.Array(Type.String()),
    remoteMboxes: Type.Array(Type.String()),
    remoteViews: Type.Array(Type.String()),
    activities: Type.Array(ImportedActivity),
  },
  { description: 'What the imported artifact holds: its locations and its activities, read-only' },
);

export const putArtifact = {
  summary: 'Import an Adobe rules artifact (replacing the previous one)',
  description:
    'Its rules decide, server-side and exactly as Adobe’s engine decides on the device, every location the client’s own ' +
    'activities do not offer; the rules artifact served to the SDK carries them too. Refused whole when invalid.',
  tags: ['Admin: artifact'],
  security: ADMIN_KEY,
  params: ClientParam,
  body: ArtifactJson,
  response: { 200: ImportSummary, ...restErrors(400, 401, 403, 404, 413) },
};

export const getArtifact = {
  summary: 'What the imported artifact holds',
  tags: ['Admin: artifact'],
  security: ADMIN_KEY,
  params: ClientParam,
  response: { 200: ImportSummary, ...restErrors(401, 403, 404) },
};

export const deleteArtifact = {
  summary: 'Remove the imported artifact',
  tags: ['Admin: artifact'],
  security: ADMIN_KEY,
  params: ClientParam,
  response: { 204: Type.Unsafe<void>({ type: 'null', description: 'Removed' }), ...restErrors(401, 403, 404) },
};
