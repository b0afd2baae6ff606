import { escapeXml, xmlResponse } from './xml.js';

/** The bulk API's m2 XML documents (docs/wire-contract.md#6-bulk-profile-update), plus our failed-row report. */
export interface BatchStatusView {
  batchId: string;
  status: 'incomplete' | 'complete' | 'stuck';
  batchSize: number;
  consumedCount: number;
  successfulUpdates: number;
  profilesNotFound: number;
  failedUpdates: number;
}

export function batchSubmitted(statusUrl: string): string {
  return xmlResponse([
    ['success', true],
    ['batchStatus', statusUrl],
    ['message', 'Batch submitted for processing'],
  ]);
}

/** Target's status document; with details, its four counters and (ours) the report's URL. */
export function batchStatus(view: BatchStatusView, details: { reportUrl: string } | null): string {
  const fields: Array<[string, string | number]> = [
    ['batchId', view.batchId],
    ['status', view.status],
    ['batchSize', view.batchSize],
  ];
  if (details) {
    fields.push(
      ['consumedCount', view.consumedCount],
      ['successfulUpdates', view.successfulUpdates],
      ['profilesNotFound', view.profilesNotFound],
      ['failedUpdates', view.failedUpdates],
      ['failureReport', details.reportUrl],
    );
  }
  return xmlResponse(fields);
}

export interface FailedRowView {
  line: number;
  key: string;
  reason: string;
}

export interface BatchReportView {
  batchId: string;
  status: string;
  failedUpdates: number;
  stuckReason: string | null;
  failedRows: FailedRowView[];
  nextPage: string | null;
}

export function batchReportXml(view: BatchReportView): string {
  let body = '<response>';
  const field = (name: string, value: string | number) => `<${name}>${escapeXml(String(value))}</${name}>`;
  body += field('batchId', view.batchId) + field('status', view.status) + field('failedUpdates', view.failedUpdates);
  if (view.stuckReason !== null) body += field('stuckReason', view.stuckReason);
  body += '<failedRows>';
  for (const row of view.failedRows) body += `<row>${field('line', row.line)}${field('key', row.key)}${field('reason', row.reason)}</row>`;
  body += '</failedRows>';
  if (view.nextPage !== null) body += field('nextPage', view.nextPage);
  return body + '</response>';
}
