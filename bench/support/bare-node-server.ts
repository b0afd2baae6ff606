/**
 * The baseline: the smallest useful HTTP server Node can run. Every benchmark figure is read as a
 * ratio to this one, measured in the same run on the same machine. Run as a child process:
 *   PORT=1234 node --import tsx bench/support/bare-node-server.ts
 */
import http from 'node:http';

const BODY = Buffer.from('{"status":"ok"}');
const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('PORT is required');

const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
  response.end(BODY);
});
server.listen(port, '127.0.0.1');

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
