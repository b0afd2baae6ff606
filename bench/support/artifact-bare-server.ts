import fs from 'node:fs';
import http from 'node:http';

/**
 * The baseline of the artifact benchmark: bare `node:http` answering the same bytes and headers
 * profile-edge serves for `rules.json` (read from `ARTIFACT_FILE`, tagged `ARTIFACT_ETAG`), and a
 * 304 on a matching `If-None-Match` — what a Node server costs before it does any work.
 */
const body = fs.readFileSync(process.env.ARTIFACT_FILE!);
const etag = process.env.ARTIFACT_ETAG!;
const headers = {
  'content-type': 'application/json; charset=utf-8',
  'content-length': String(body.length),
  etag,
  'cache-control': 'public, max-age=60, must-revalidate',
  'access-control-allow-origin': '*',
};

const server = http.createServer((request, response) => {
  if (request.headers['if-none-match'] === etag) {
    response.writeHead(304, { etag, 'cache-control': headers['cache-control'], 'access-control-allow-origin': '*' });
    response.end();
    return;
  }
  response.writeHead(200, headers);
  response.end(body);
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PROFILE_EDGE_PORT), '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
