import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { FastifyRequest } from 'fastify';
import type { Limits } from '../../config.js';
import { AppError, BadRequestError, PayloadTooLargeError } from '../../errors.js';
import { tooLargeMessage } from './batch-intake.js';

/**
 * Content types a batch may arrive with (docs/wire-contract.md#6-bulk-profile-update). curl's
 * `--data-binary` sends the form type with the raw bytes; the body is still never read as a form.
 * A missing type is read the same way.
 */
const RAW_TYPES = new Set(['', 'application/x-www-form-urlencoded', 'text/plain', 'text/csv', 'application/octet-stream']);
const MULTIPART = 'multipart/form-data';

export interface BatchBody {
  stream: AsyncIterable<Buffer>;
  /** A multipart file field: its content may leave out `batch=`. */
  multipart: boolean;
  /** Stops caring about the rest of the body (the answer is an error). */
  abandon(): void;
}

/**
 * The client went away before the end of its body (a closed laptop, a killed curl). Nobody reads
 * the answer, but the intake must stop at once and drop what it wrote; it is not a server fault.
 */
export class UploadCutOffError extends AppError {
  constructor() {
    super(400, 'upload_cut_off', 'The upload was cut off before the end of its body');
  }
}

/** A request whose connection closed before its body was complete. */
function cutOff(raw: Readable): boolean {
  return !(raw as Readable & { complete?: boolean }).complete;
}

function noteCutOff(request: FastifyRequest): UploadCutOffError {
  request.log.info({ client: (request.params as { client?: string }).client }, 'batch upload cut off by the client');
  return new UploadCutOffError();
}

/** The raw body's bytes; a connection closed mid-body ends the iteration with UploadCutOffError. */
async function* rawBody(request: FastifyRequest, raw: Readable): AsyncIterable<Buffer> {
  try {
    for await (const chunk of raw) yield chunk as Buffer;
  } catch (err) {
    if (cutOff(request.raw)) throw noteCutOff(request);
    throw err;
  }
}

function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The batch bytes of an upload request: the raw body, or the first file field of a multipart body. */
export async function openBatchBody(request: FastifyRequest, limits: Limits): Promise<BatchBody> {
  const media = mediaTypeOf(request.headers['content-type']);
  const raw = (request.body as Readable | undefined) ?? request.raw;
  if (RAW_TYPES.has(media)) return { stream: rawBody(request, raw), multipart: false, abandon: () => undefined };
  if (media === MULTIPART) return multipartFile(request, raw, limits);
  throw new AppError(
    415,
    'unsupported_media_type',
    `Unsupported Content-Type '${media.slice(0, 64)}': send the batch as application/x-www-form-urlencoded, text/plain, text/csv, application/octet-stream or a multipart/form-data file field`,
  );
}

/**
 * The file field's bytes. busboy destroys the file stream with its own error when the form is cut
 * short; that error is a client mistake (400), and it must never go unheard: an 'error' event
 * without a listener, emitted before the intake starts reading, would take the process down.
 */
async function* guardedFile(stream: Readable): AsyncIterable<Buffer> {
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new BadRequestError(`multipart/form-data body is malformed: ${(err as Error).message}`, 'bad_multipart');
  }
}

function multipartFile(request: FastifyRequest, raw: Readable, limits: Limits): Promise<BatchBody> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers as busboy.BusboyConfig['headers'],
        limits: { files: 1, fileSize: limits.maxBatchBodyBytes, fields: 20, fieldSize: 64 * 1024, parts: 40 },
      });
    } catch {
      reject(new BadRequestError('multipart/form-data body without a valid boundary', 'bad_multipart'));
      return;
    }
    let file: Readable | null = null;
    let received = 0;
    /** Refused already (too large, malformed): the connection closing after that is expected. */
    let refused = false;
    const tooLarge = () => new PayloadTooLargeError(tooLargeMessage(limits), 'batch_too_large');
    // The limit is on the request body, framing included, so it is counted before busboy.
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received >= limits.maxBatchBodyBytes) {
        raw.off('data', onData);
        raw.unpipe(parser);
        refused = true;
        const error = tooLarge();
        if (file) file.destroy(error);
        else reject(error);
      }
    };
    raw.on('data', onData);
    // busboy never hears of a connection closed mid-body: without this, the file stream would
    // wait forever, holding the partial upload and its file handle until restart.
    raw.once('close', () => {
      if (refused || !cutOff(request.raw)) return;
      raw.unpipe(parser);
      const error = noteCutOff(request);
      if (file) file.destroy(error);
      else reject(error);
    });
    parser.on('file', (_field, stream) => {
      if (file) {
        stream.resume();
        return;
      }
      file = stream;
      stream.on('error', () => undefined); // surfaced by guardedFile's iteration
      // busboy truncates a file at `fileSize` silently; here that is an error.
      stream.once('limit', () => stream.destroy(tooLarge()));
      resolve({
        stream: guardedFile(stream),
        multipart: true,
        abandon: () => {
          raw.unpipe(parser);
          raw.resume();
        },
      });
    });
    parser.once('error', (err: Error) => {
      refused = true;
      const error = new BadRequestError(`multipart/form-data body is malformed: ${err.message}`, 'bad_multipart');
      if (file) file.destroy(error);
      else reject(error);
    });
    parser.once('close', () => {
      if (!file) reject(new BadRequestError('multipart/form-data body has no file field holding the batch', 'no_batch_file'));
    });
    raw.pipe(parser);
  });
}
