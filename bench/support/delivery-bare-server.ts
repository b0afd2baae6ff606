import http from 'node:http';

/**
 * The baseline of the delivery benchmark: bare `node:http` reading the request body and answering
 * a constant Delivery-shaped JSON — what a Node server costs before it does any work.
 */
const ANSWER = JSON.stringify({
  status: 200,
  requestId: 'bench',
  client: 'demo',
  id: { tntId: '00000000000000000000000000000000' },
  execute: { mboxes: [{ index: 0, name: 'hero', options: [] }] },
});

const server = http.createServer((request, response) => {
  request.on('data', () => {});
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(ANSWER) });
    response.end(ANSWER);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PROFILE_EDGE_PORT), '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
