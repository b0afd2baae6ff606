import type { FastifyInstance } from 'fastify';

/**
 * `Expect: 100-continue` (curl sends it for bodies over 1 MB): Node answers "100 Continue" on its
 * own, so a client would start sending a large body that we are about to refuse, and then fail on
 * the closed connection instead of reading our 413. Here a request whose declared length is over
 * the limit of its route gets no 100: the route answers 413 and the client never sends the body.
 */
export function refuseOversizedBeforeContinue(app: FastifyInstance, limitFor: (url: string) => number): void {
  app.server.on('checkContinue', (request, response) => {
    const declared = Number(request.headers['content-length']);
    if (!(Number.isFinite(declared) && declared >= limitFor(request.url ?? ''))) response.writeContinue();
    app.server.emit('request', request, response);
  });
}
