import net from 'node:net';

/** What came back on the socket; `status` is 0 when the server closed without answering. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One HTTP/1.1 request written byte for byte on a fresh socket — nothing is validated or encoded
 * on the way, so CR/LF in headers, raw non-UTF-8 bytes in the request line and bogus framing reach
 * the server exactly as a hostile client would send them.
 */
export function rawRequest(port: number, request: Buffer, timeoutMs = 30_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    // The server may answer and close while the body is still being written (413): not an error.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks)));
    });
    socket.write(request);
  });
}

export function parseResponse(bytes: Buffer): RawResponse {
  // Interim answers (100 Continue) come first; the final answer follows.
  while (/^HTTP\/1\.[01] 1\d\d /.test(bytes.subarray(0, 13).toString('latin1'))) {
    const end = bytes.indexOf('\r\n\r\n');
    if (end === -1) break;
    bytes = bytes.subarray(end + 4);
  }
  const split = bytes.indexOf('\r\n\r\n');
  if (split === -1) return { status: 0, headers: {}, body: bytes.toString('latin1') };
  const [statusLine, ...lines] = bytes.subarray(0, split).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = bytes.subarray(split + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1] ?? 0), headers, body: body.toString('utf8') };
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = bytes.indexOf('\r\n', at);
    if (eol === -1) break;
    const size = parseInt(bytes.subarray(at, eol).toString('latin1'), 16);
    if (!size) break;
    parts.push(bytes.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * Builds the request bytes; Content-Length is added unless the headers already frame the body.
 * A header given as null is left out, even Host, which is otherwise always sent.
 */
export function buildRequest(
  method: string,
  target: Buffer | string,
  headers: Array<[string, string | null]>,
  body: Buffer | null,
): Buffer {
  const names = new Set(headers.map(([name]) => name.toLowerCase()));
  const head: string[] = names.has('host') ? [] : [`Host: 127.0.0.1`];
  for (const [name, value] of headers) if (value !== null) head.push(`${name}: ${value}`);
  if (body && !names.has('content-length') && !names.has('transfer-encoding')) head.push(`Content-Length: ${body.length}`);
  if (!names.has('connection')) head.push('Connection: close');
  return Buffer.concat([
    Buffer.from(`${method} `, 'latin1'),
    typeof target === 'string' ? Buffer.from(target, 'latin1') : target,
    Buffer.from(` HTTP/1.1\r\n${head.join('\r\n')}\r\n\r\n`, 'latin1'),
    body ?? Buffer.alloc(0),
  ]);
}
