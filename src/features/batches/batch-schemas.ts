import { Type } from '@sinclair/typebox';
import { ClientParams, m2Errors, m2Xml, PROFILE_TOKEN, stringEnum } from '../../http/schemas.js';

/**
 * The bulk profile API: upload (v1, v2), batch status and the failed-row report. These schemas
 * document the wire only. The body is streamed to the batch reader (src/wire/batch-reader.ts),
 * never parsed as a form; the query parameters are read as Target reads them (a repeated or
 * malformed one answers as the status and report always did).
 */
const BatchText = Type.String({
  description:
    'The literal `batch=` then lines: a header `pcId` or `thirdPartyId` followed by attribute names, then one profile per line. ' +
    'Cells are separated by `,` and URL-decoded (`,` inside a value is `%2C`); a raw `&` or `=` is data. LF or CRLF, < 50 MB, ≤ 500,000 rows.',
  examples: ['batch=thirdPartyId,tier,note\ncrm-1,platinum,50%25+off\ncrm-2,gold,raw & and = are data\n'],
});

const uploadDescription = (apiVersion: 1 | 2) =>
  (apiVersion === 2 ? 'v2: unknown keys create profiles. ' : 'v1: unknown keys are skipped (counted in profilesNotFound). ') +
  'The batch is stored durably before the answer and applied in the background; every failed row is reported with its line.';

const upload = (apiVersion: 1 | 2) => ({
  summary: `Upload a batch of profile updates (v${apiVersion})`,
  description: uploadDescription(apiVersion),
  tags: ['Bulk profile update'],
  security: PROFILE_TOKEN,
  params: ClientParams,
  body: {
    content: {
      'application/x-www-form-urlencoded': { schema: BatchText },
      'text/plain': { schema: BatchText },
      'text/csv': { schema: BatchText },
      'application/octet-stream': { schema: BatchText },
      'multipart/form-data': {
        schema: Type.Object({ file: Type.String({ format: 'binary', description: 'The batch file (`batch=` may be left out)' }) }),
      },
    },
  },
  response: {
    200: m2Xml(
      'Accepted: the batch status URL',
      '<response><success>true</success><batchStatus>http://127.0.0.1:8080/m2/demo/profile/batchStatus?batchId=demo-1764000000000-12345678</batchStatus><message>Batch submitted for processing</message></response>',
    ),
    ...m2Errors(400, 401, 403, 404, 413, 415, 503, 507),
  },
});

export const uploadV1 = upload(1);
export const uploadV2 = upload(2);

const BatchId = Type.String({ description: 'The id from the upload answer: `<client>-<epochMillis>-<8 digits>`' });

export const status = {
  summary: 'The status of a batch',
  tags: ['Bulk profile update'],
  security: PROFILE_TOKEN,
  params: ClientParams,
  querystring: Type.Object({
    batchId: BatchId,
    showDetails: Type.Optional(Type.String({ description: '`true`: add the counters and the failed-row report URL' })),
  }),
  response: {
    200: m2Xml(
      'The batch: incomplete, complete or stuck',
      '<response><batchId>demo-1764000000000-12345678</batchId><status>complete</status><batchSize>2</batchSize></response>',
    ),
    ...m2Errors(400, 401, 403, 404),
  },
};

const FailedRow = Type.Object({ line: Type.Integer(), key: Type.String(), reason: Type.String() });

const ReportJson = Type.Object(
  {
    batchId: Type.String(),
    status: stringEnum(['incomplete', 'complete', 'stuck']),
    failedUpdates: Type.Integer(),
    stuckReason: Type.Union([Type.String(), Type.Null()]),
    failedRows: Type.Array(FailedRow),
    nextPage: Type.Union([Type.String({ description: 'The next page of the report' }), Type.Null()]),
  },
  { description: 'One page of the failed rows (format=json)' },
);

export const report = {
  summary: 'The failed rows of a batch, page by page',
  description: 'Not a Target endpoint: every row that failed, with its line number, key and reason.',
  tags: ['Bulk profile update'],
  security: PROFILE_TOKEN,
  params: ClientParams,
  querystring: Type.Object({
    batchId: BatchId,
    afterLine: Type.Optional(Type.String({ description: 'Rows after this line (a whole number ≥ 0, default 0)' })),
    limit: Type.Optional(Type.String({ description: 'Rows per page, 1 to 10000 (default 1000)' })),
    format: Type.Optional(stringEnum(['xml', 'json'], { description: 'Default xml' })),
  }),
  response: {
    200: {
      description: 'One page of the failed rows',
      content: {
        'application/xml': {
          schema: Type.String({
            examples: [
              '<response><batchId>demo-1764000000000-12345678</batchId><status>complete</status><failedUpdates>1</failedUpdates><failedRows><row><line>3</line><key>crm-9</key><reason>…</reason></row></failedRows></response>',
            ],
          }),
        },
        'application/json': { schema: ReportJson },
      },
    },
    ...m2Errors(400, 401, 403, 404),
  },
};
