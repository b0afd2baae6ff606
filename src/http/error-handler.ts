import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, InsufficientStorageError, ServiceUnavailableError } from '../errors.js';
import { databaseErrorAsAppError } from '../store/database-errors.js';
import { FormDecodeError, undecodablePathMessage } from '../wire/form-params.js';
import { m2Failure } from '../wire/xml.js';

/** A request target in absolute form (`http://host:port/m2/…`, as proxies send it) starts with this. */
const SCHEME_AND_AUTHORITY = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/** m2 endpoints answer XML; every other endpoint answers Target's JSON `{status, message}`. */
export function isM2Path(url: string): boolean {
  return url.replace(SCHEME_AND_AUTHORITY, '').startsWith('/m2/');
}

/** The error body of the endpoint family `url` belongs to, with its content type. */
export function errorBody(url: string, status: number, message: string): { contentType: string; body: string } {
  if (isM2Path(url)) return { contentType: 'application/xml', body: m2Failure(message) };
  return { contentType: 'application/json; charset=utf-8', body: JSON.stringify({ status, message }) };
}

export function sendError(request: FastifyRequest, reply: FastifyReply, status: number, message: string): FastifyReply {
  const { contentType, body } = errorBody(request.url, status, message);
  return reply.code(status).type(contentType).send(body);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

/** An AppError in the endpoint family's body; a 503 also says when to come back (Retry-After). */
function sendAppError(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  if (error instanceof ServiceUnavailableError) reply.header('retry-after', String(error.retryAfterSeconds));
  return sendError(request, reply, error.status, error.message);
}

/** Fastify's own client errors, reworded so that no internal names leak. */
export function frameworkMessage(error: FastifyError, request: FastifyRequest): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `Request body is larger than the ${formatBytes(request.routeOptions.bodyLimit)} limit of this endpoint`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Unsupported Content-Type for this endpoint';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'Request body is empty; a JSON object is required';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'Request body is not valid';
    case 'FST_ERR_BAD_URL':
      return undecodablePathMessage(request.originalUrl) ?? 'Request URL is malformed';
    default:
      if (error instanceof SyntaxError) return 'Request body is not valid JSON';
      return 'Bad request';
  }
}

/** Errors the router raises before any handler runs (bad URL encoding, over-long path segments). */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
  const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path segment of the URL is too long' : frameworkMessage(error, request);
  sendError(request, reply, status, message);
}

/**
 * The one place errors become responses. AppErrors carry their status and message; client errors
 * raised by Fastify are reworded; anything else is a real fault: logged, answered as a bare 500
 * with no stack, path or SQL.
 */
export function registerErrorHandling(
  app: FastifyInstance,
  options: {
    /** Told of every database or storage error answered (a full disk marks it full for /healthz). */
    storageError?: (error: unknown) => void;
  } = {},
): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      // A rate-limited client, a database outage or a full disk is expected, not a fault of this server.
      if (error.status >= 500 && !(error instanceof ServiceUnavailableError || error instanceof InsufficientStorageError)) {
        request.log.error({ err: error }, 'service error');
      }
      return sendAppError(request, reply, error);
    }
    // Database and storage errors: one mapping for both stores (src/store/database-errors.ts),
    // masked; a full disk is 507, an outage 503 with Retry-After, in every endpoint family's body.
    const fromDatabase = databaseErrorAsAppError(error);
    if (fromDatabase) {
      options.storageError?.(error);
      request.log.warn({ err: error, answered: fromDatabase.status }, 'database error');
      return sendAppError(request, reply, fromDatabase);
    }
    if (error instanceof FormDecodeError) {
      return sendError(request, reply, 400, `Malformed request parameters: ${error.message}`);
    }
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return sendError(request, reply, status, frameworkMessage(error, request));
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendError(request, reply, 500, 'Internal server error');
  });

  app.setNotFoundHandler((request, reply) => {
    sendError(request, reply, 404, `No endpoint ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`);
  });
}
