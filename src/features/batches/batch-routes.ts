import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { AppError, PayloadTooLargeError } from '../../errors.js';
import { clientInM2Path, type ProfileApiAccess } from '../../http/profile-api-access.js';
import { documentationOnly } from '../../http/validation.js';
import { batchReportXml, batchStatus, batchSubmitted } from '../../wire/batch-replies.js';
import { type BatchBody, openBatchBody } from './batch-body.js';
import { type BatchIntake, tooLargeMessage } from './batch-intake.js';
import type { BatchApiVersion } from './batches-store.js';
import type { BulkRateLimiter } from './bulk-rate-limit.js';
import * as schemas from './batch-schemas.js';
import { type BatchesService, REPORT_PAGE_DEFAULT } from './batches-service.js';

interface StatusQuery {
  batchId?: string;
  showDetails?: string;
}

interface ReportQuery {
  batchId?: string;
  afterLine?: string;
  limit?: string;
  format?: string;
}

// Host headers we are willing to echo into an absolute URL.
const HOST_SHAPE = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/** Absolute base URL of this server as the caller reached it (or as configured), for batchStatus links. */
function publicBase(config: Config, request: FastifyRequest): string {
  if (config.publicUrl) return config.publicUrl;
  const host = request.headers.host;
  if (host && HOST_SHAPE.test(host)) return `${request.protocol}://${host}`;
  const local = request.raw.socket.localAddress ?? config.host;
  const address = local.includes(':') ? `[${local}]` : local;
  return `${request.protocol}://${address}:${request.raw.socket.localPort ?? config.port}`;
}

function m2Url(base: string, client: string, endpoint: string, batchId: string): string {
  return `${base}/m2/${encodeURIComponent(client)}/profile/${endpoint}?batchId=${encodeURIComponent(batchId)}`;
}

const xml = (reply: FastifyReply, body: string) => reply.type('application/xml').send(body);

/**
 * The bulk profile API (docs/wire-contract.md#6-bulk-profile-update): batch upload (v1 and v2),
 * batch status, and our failed-row report. Uploads are streamed: the body is never buffered or
 * parsed as a form.
 */
export function registerBatchRoutes(
  app: FastifyInstance,
  deps: {
    access: ProfileApiAccess;
    intake: BatchIntake;
    batches: BatchesService;
    config: Config;
    rateLimiter: BulkRateLimiter;
    now: () => number;
  },
): void {
  const { access, intake, batches, config, rateLimiter, now } = deps;
  const limits = config.limits;
  const onRequest = access.hook(clientInM2Path);
  // Documented by the schemas, read by the batch reader and as the queries always were.
  const validatorCompiler = documentationOnly;

  app.register(async (scope) => {
    // The body reaches the handler as the raw stream, whatever its content type.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    // A refused upload ends its connection: the rest of its body (up to 50 MB) is never read.
    scope.addHook('onError', async (_request, reply) => {
      reply.header('connection', 'close');
    });

    const upload = (apiVersion: BatchApiVersion) => async (request: FastifyRequest, reply: FastifyReply) => {
      const client = request.client;
      const declared = Number(request.headers['content-length']);
      let body: BatchBody | undefined;
      try {
        await rateLimiter.take(client.code, now());
        if (declared >= limits.maxBatchBodyBytes) throw new PayloadTooLargeError(tooLargeMessage(limits), 'batch_too_large');
        body = await openBatchBody(request, limits);
        const batch = await intake.accept(client, apiVersion, body.stream, {
          requirePrefix: !body.multipart,
          declaredBytes: Number.isFinite(declared) ? declared : undefined,
        });
        return xml(reply, batchSubmitted(m2Url(publicBase(config, request), client.code, 'batchStatus', batch.batchId)));
      } catch (err) {
        body?.abandon();
        throw err;
      }
    };
    scope.post('/m2/:client/profile/batchUpdate', { schema: schemas.uploadV1, validatorCompiler, onRequest }, upload(1));
    scope.post('/m2/:client/v2/profile/batchUpdate', { schema: schemas.uploadV2, validatorCompiler, onRequest }, upload(2));
  });

  const status = async (request: FastifyRequest<{ Querystring: StatusQuery }>, reply: FastifyReply) => {
    const client = request.client;
    const batch = await batches.status(client, request.query.batchId);
    const details = /^true$/i.test(request.query.showDetails ?? '')
      ? { reportUrl: m2Url(publicBase(config, request), client.code, 'batchReport', batch.batchId) }
      : null;
    return xml(reply, batchStatus(batch, details));
  };
  const statusOptions = { schema: schemas.status, validatorCompiler, onRequest };
  app.get<{ Querystring: StatusQuery }>('/m2/:client/profile/batchStatus', statusOptions, status);
  app.get<{ Querystring: StatusQuery }>('/m2/:client/v2/profile/batchStatus', statusOptions, status);

  const report = async (request: FastifyRequest<{ Querystring: ReportQuery }>, reply: FastifyReply) => {
    const client = request.client;
    const { batchId, afterLine, limit, format } = request.query;
    if (format !== undefined && format !== 'xml' && format !== 'json') {
      throw new AppError(400, 'bad_format', "format must be 'xml' or 'json'");
    }
    const page = await batches.report(client, batchId, Number(afterLine ?? 0), Number(limit ?? REPORT_PAGE_DEFAULT));
    const view = {
      batchId: page.batch.batchId,
      status: page.batch.status,
      failedUpdates: page.batch.failedUpdates,
      stuckReason: page.batch.stuckReason,
      failedRows: page.failedRows,
      nextPage:
        page.nextAfterLine === null
          ? null
          : `${m2Url(publicBase(config, request), client.code, 'batchReport', page.batch.batchId)}&afterLine=${page.nextAfterLine}` +
            (limit ? `&limit=${Number(limit)}` : '') +
            (format ? `&format=${format}` : ''),
    };
    if (format === 'json') return reply.type('application/json; charset=utf-8').send(view);
    return xml(reply, batchReportXml(view));
  };
  const reportOptions = { schema: schemas.report, validatorCompiler, onRequest };
  app.get<{ Querystring: ReportQuery }>('/m2/:client/profile/batchReport', reportOptions, report);
  app.get<{ Querystring: ReportQuery }>('/m2/:client/v2/profile/batchReport', reportOptions, report);
}
