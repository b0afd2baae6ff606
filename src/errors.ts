/**
 * The one error taxonomy of profile-edge. Services throw these; the central error handler
 * (src/http/error-handler.ts) turns them into Target's JSON or XML error bodies. Anything else
 * that escapes a handler is a real fault: logged in full, answered as a bare 500.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    /** Stable machine name, for logs, metrics and tests. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, code = 'bad_request') {
    super(400, code, message);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message: string, code = 'unauthorized') {
    super(401, code, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string, code = 'forbidden') {
    super(403, code, message);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, code = 'not_found') {
    super(404, code, message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict') {
    super(409, code, message);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string, code = 'payload_too_large') {
    super(413, code, message);
  }
}

export class UriTooLongError extends AppError {
  constructor(message: string, code = 'uri_too_long') {
    super(414, code, message);
  }
}

/**
 * Temporarily unable to serve (the database is unreachable or busy, a client is over its rate
 * limit): a 503 telling the client when to come back. The central error handler sends
 * `retryAfterSeconds` as the `Retry-After` header.
 */
export class ServiceUnavailableError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    code = 'unavailable',
  ) {
    super(503, code, message);
  }
}

/**
 * The server is out of disk space (its data directory, or the database server's disk): the write
 * was refused whole and nothing of it was stored. Answered 507 in the endpoint family's body; the
 * same request succeeds once space is freed, without a restart (docs/wire-contract.md#13-faults).
 */
export class InsufficientStorageError extends AppError {
  constructor(message: string, code = 'disk_full') {
    super(507, code, message);
  }
}

/** A conditional write (`If-Match`) whose condition does not hold: the stored thing changed. */
export class PreconditionFailedError extends AppError {
  constructor(message: string, code = 'precondition_failed') {
    super(412, code, message);
  }
}
