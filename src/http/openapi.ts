import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import swagger from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

const require = createRequire(import.meta.url);
const pkg = require('../../package.json') as { version: string; description: string };

/** Where the browsable reference lives; its own routes (page, assets) are left out of the document. */
export const DOCS_PREFIX = '/docs';

// Swagger UI's files, served from the installed package. Only these names: nothing else of the
// package directory (nor of the disk) can be asked for.
const UI_DIR = (require('swagger-ui-dist/absolute-path.js') as () => string)();
const UI_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'index.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<title>profile-edge API reference</title>
<link rel="stylesheet" href="${DOCS_PREFIX}/static/swagger-ui.css">
<link rel="stylesheet" href="${DOCS_PREFIX}/static/index.css">
<link rel="icon" type="image/png" href="${DOCS_PREFIX}/static/favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="${DOCS_PREFIX}/static/favicon-16x16.png" sizes="16x16">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${DOCS_PREFIX}/static/swagger-ui-bundle.js" charset="UTF-8"></script>
<script src="${DOCS_PREFIX}/static/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
<script src="${DOCS_PREFIX}/initializer.js" charset="UTF-8"></script>
</body>
</html>
`;

// validatorUrl null: no badge asking another host to validate the document.
const INITIALIZER = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
};
`;

// The page may load from this server only (and run no inline script); Swagger UI sets inline styles.
const PAGE_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * The API reference: `GET /openapi.json`, an OpenAPI 3.1 document generated from the route
 * schemas that also validate the requests, and `GET /docs`, Swagger UI on that document with
 * every asset served by this server from the `swagger-ui-dist` package (no CDN, no validator
 * badge calling out). Registered before any route: the generator learns the routes as they are
 * added.
 */
export async function registerApiReference(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'profile-edge', version: pkg.version, description: pkg.description },
      // The order of the reference: the APIs a site calls, then the operator's.
      tags: [
        { name: 'Delivery', description: 'What pages call on every view (at.js, Adobe’s SDKs); no token' },
        { name: 'Single profile update', description: 'Target’s m2 single update: form parameters in, XML out' },
        { name: 'Bulk profile update', description: 'Target’s m2 batch upload, status, and the failed-row report' },
        { name: 'Profile fetch', description: 'Target’s profile fetch API' },
        { name: 'Admin: clients' },
        { name: 'Admin: tokens' },
        { name: 'Admin: activities' },
        { name: 'Admin: profiles' },
        { name: 'Admin: privacy' },
        { name: 'Admin: artifact', description: 'Importing an Adobe rules artifact, decided server-side' },
        { name: 'Artifact', description: 'The rules artifact Adobe’s SDK downloads for on-device decisions; no token' },
        { name: 'Operations' },
        { name: 'Reference' },
      ],
      components: {
        securitySchemes: {
          profileToken: {
            type: 'http',
            scheme: 'bearer',
            description: "A client's profile token (required when the client has requireAuth)",
          },
          adminKey: { type: 'http', scheme: 'bearer', description: 'The admin key' },
        },
      },
    },
  });

  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This API reference, as an OpenAPI 3.1 document',
        tags: ['Reference'],
        response: { 200: Type.Object({ openapi: Type.String() }, { additionalProperties: true, description: 'The OpenAPI document' }) },
      },
    },
    async () => app.swagger(),
  );

  // The page and its assets, outside the document (they are not part of the API).
  const hide = { schema: { hide: true } };
  app.get(DOCS_PREFIX, hide, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', PAGE_POLICY).send(PAGE),
  );
  app.get(`${DOCS_PREFIX}/initializer.js`, hide, async (_request, reply) =>
    reply.type('application/javascript; charset=utf-8').send(INITIALIZER),
  );
  const loaded = new Map<string, Buffer>();
  app.get<{ Params: { file: string } }>(`${DOCS_PREFIX}/static/:file`, hide, async (request, reply) => {
    const { file } = request.params;
    const type = Object.hasOwn(UI_ASSETS, file) ? UI_ASSETS[file] : undefined;
    if (!type) return reply.callNotFound();
    let bytes = loaded.get(file);
    if (!bytes) {
      // Read on first use (the bundle is 1.5 MB), then kept: a server start reads none of it.
      bytes = await fs.promises.readFile(path.join(UI_DIR, file));
      loaded.set(file, bytes);
    }
    return reply.type(type).header('cache-control', 'public, max-age=86400').send(bytes);
  });
}
