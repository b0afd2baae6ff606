import fs from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';

const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; description: string };

/** Where the browsable reference lives; its own routes (page, assets) are left out of the document. */
export const DOCS_PREFIX = '/docs';

/**
 * The API reference: `GET /openapi.json`, an OpenAPI 3.1 document generated from the route
 * schemas that also validate the requests, and `GET /docs`, Swagger UI on that document with
 * every asset served from the installed package (no CDN, no validator badge calling out).
 * Registered before any route: the generator learns the routes as they are added.
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
        { name: 'Admin: profiles' },
        { name: 'Admin: privacy' },
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
  // The UI's validator badge stays off (its default): it would send the document to another host.
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, theme: { title: 'profile-edge API reference' } });

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
}
