import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../errors.js';
import { refuseOnSocket } from './client-errors.js';
import { errorBody } from './error-handler.js';

const EXPECT_MESSAGE = 'Unsupported Expect header: only 100-continue is understood';

/**
 * Requests that Node would refuse on its own with an empty body or a closed socket get the
 * endpoint family's error body instead, like every other refusal:
 * - an `Expect` other than `100-continue` (Node: a bare 417);
 * - an HTTP/1.1 request without `Host` (Node: a bare 400; the server is built with
 *   `requireHostHeader: false` so that this hook answers it);
 * - `CONNECT` (Node: the socket is closed): profile-edge is not a proxy.
 */
export function registerProtocolRefusals(app: FastifyInstance): void {
  app.server.on('checkExpectation', (request, response) => {
    const { contentType, body } = errorBody(request.url ?? '', 417, EXPECT_MESSAGE);
    // The client may send its body anyway: the connection ends with this answer.
    response.writeHead(417, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), connection: 'close' });
    response.end(body);
  });

  app.server.on('connect', (_request, socket: Duplex) => {
    socket.on('error', () => undefined);
    refuseOnSocket(socket as Parameters<typeof refuseOnSocket>[0], 405, 'CONNECT is not supported: profile-edge is not a proxy');
  });

  app.addHook('onRequest', async (request) => {
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      throw new BadRequestError('An HTTP/1.1 request must carry a Host header', 'host_missing');
    }
  });
}
