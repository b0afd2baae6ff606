import type { Socket } from 'node:net';
import { errorBody } from './error-handler.js';

/**
 * Errors Node's HTTP parser raises before Fastify sees a request: a request line or headers over
 * the size limit, a slow client that did not finish its headers or body in time, bytes that are
 * not HTTP at all. They are answered with the REST error body (docs/wire-contract.md#11-error-bodies)
 * — never Fastify's or Node's own wording — and the connection is closed, since its framing can no
 * longer be trusted.
 */
export function clientErrorResponse(code: string | undefined): { status: number; message: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'Request line and headers are larger than the server accepts' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'The request was not received completely in time' };
    default:
      return { status: 400, message: 'Malformed HTTP request' };
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/**
 * Answers on the bare socket, in the error body of the family `url` belongs to (JSON when the
 * request line could not be read), and closes the connection.
 */
export function refuseOnSocket(socket: Socket, status: number, message: string, url = ''): void {
  const { contentType, body } = errorBody(url, status, message);
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: ${contentType}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // A client that never reads its answer must not keep the socket open.
  setTimeout(() => socket.destroy(), 1000).unref();
}

export function handleClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { status, message } = clientErrorResponse(error.code);
  refuseOnSocket(socket, status, message);
}
