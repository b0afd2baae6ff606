import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where the web console is served (docs/console.md); its routes are left out of the API document. */
export const CONSOLE_PREFIX = '/console';

// The console loads from this server only and runs no inline script (docs/console.md#security).
const CONSOLE_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const NOT_BUILT = `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>profile-edge console: not built</title></head>
<body><main><h1>The console is not built</h1>
<p>This server found no <code>index.html</code> in its console directory. Run <code>npm run build</code>
(or <code>npm start</code>, which builds first), or point <code>PROFILE_EDGE_CONSOLE_DIR</code> at a built console.</p>
</main></body></html>
`;

/**
 * The web console: the files Vite built into `consoleDir` (`npm run build`), under `/console/`.
 * They are the same for everyone and hold no data; the console reads everything through the
 * public admin and profile APIs with the key its user signs in with. Without a build, every
 * console URL answers 503 with a page saying how to build it.
 */
export async function registerConsoleRoutes(app: FastifyInstance, deps: { consoleDir: string }): Promise<void> {
  const built = fs.existsSync(path.join(deps.consoleDir, 'index.html'));
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('content-security-policy', CONSOLE_POLICY);
      reply.header('x-content-type-options', 'nosniff');
    });
    const hidden = { schema: { hide: true } };
    scope.get(CONSOLE_PREFIX, hidden, async (_request, reply) => reply.redirect(`${CONSOLE_PREFIX}/`));
    if (!built) {
      const notBuilt = async (_request: unknown, reply: FastifyReply) => reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
      scope.get(`${CONSOLE_PREFIX}/`, hidden, notBuilt);
      scope.get(`${CONSOLE_PREFIX}/*`, hidden, notBuilt);
      return;
    }
    await scope.register(fastifyStatic, {
      root: deps.consoleDir,
      prefix: `${CONSOLE_PREFIX}/`,
      // Hashed asset names: cache them; index.html is revalidated.
      maxAge: '1h',
      index: ['index.html'],
      dotfiles: 'deny',
    });
  });
}
