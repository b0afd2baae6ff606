import type { LocationRequest } from '../decisioning/decide.js';
import type { CustomerIdEcho, DeliveryRequest, MboxRef, ViewRef } from './delivery-request.js';

/**
 * The Delivery API answer (docs/wire-contract.md#83-answer), shaped from the request: each mbox
 * comes back with its `index` and `name`, every id the request sent is echoed and the tntId is
 * always present. A location carries the options its activity decided (docs/decisioning.md),
 * `options: []` when none did, and the deciding experience's click `metrics`. There is
 * deliberately no `edgeHost`: a 4-label host makes Adobe's SDK reroute all later calls to Adobe
 * (docs/wire-contract.md#22-minting-a-tntid).
 */
export interface DeliveryResponse {
  status: 200;
  requestId: string;
  client: string;
  id: {
    tntId: string;
    thirdPartyId?: string;
    marketingCloudVisitorId?: string;
    customerIds?: CustomerIdEcho[];
  };
  execute?: { pageLoad?: Answer; mboxes?: MboxAnswer[] };
  prefetch?: { pageLoad?: Answer; views?: ViewAnswer[]; mboxes?: MboxAnswer[] };
  notifications?: Array<{ id: string }>;
}

/** Options and metrics as decide() (or decideImported()) gave them: `{type, content, responseTokens, eventToken?}`, `{type, eventToken}`. */
export interface AnswerOption {
  type?: string;
  content?: unknown;
  responseTokens: Record<string, string | number>;
  eventToken?: string;
}

export interface AnswerMetric {
  type?: string;
  eventToken?: string;
}

interface Answer {
  options: AnswerOption[];
  metrics?: AnswerMetric[];
}

/** One answer of a requested location. */
export interface AnsweredLocation extends Answer {
  /** `target-global-mbox`, the mbox name, `view:<name>`. */
  location: string;
}

interface MboxAnswer extends Answer {
  index: number;
  name: string;
}

interface ViewAnswer extends Answer {
  name?: string;
  key?: string;
}

/** The answers decide() gave, by the request location they answer (several for a view request without a name). */
export type AnswersByLocation = ReadonlyMap<LocationRequest, readonly AnsweredLocation[]>;

const NONE: readonly AnsweredLocation[] = [];

function answerOf(answer: AnsweredLocation | undefined): Answer {
  if (!answer) return { options: [] };
  const result: Answer = { options: answer.options };
  if (answer.metrics) result.metrics = answer.metrics;
  return result;
}

function mboxAnswers(mboxes: readonly MboxRef[], answers: AnswersByLocation): MboxAnswer[] {
  return mboxes.map((mbox) => ({ index: mbox.index, name: mbox.name, ...answerOf(answers.get(mbox)?.[0]) }));
}

function viewAnswers(views: readonly ViewRef[], answers: AnswersByLocation): ViewAnswer[] {
  const result: ViewAnswer[] = [];
  for (const view of views) {
    const echo: { name?: string; key?: string } = {};
    if (view.name !== undefined) echo.name = view.name;
    if (view.key !== undefined) echo.key = view.key;
    const decided = answers.get(view) ?? NONE;
    // A request for every view (no name) is answered per view some activity decided.
    if (view.name === undefined && decided.length > 0) {
      for (const answer of decided) result.push({ ...echo, name: answer.location.slice('view:'.length), ...answerOf(answer) });
    } else {
      result.push({ ...echo, ...answerOf(decided[0]) });
    }
  }
  return result;
}

export function deliveryResponse(
  request: DeliveryRequest,
  answer: { requestId: string; client: string; tntId: string },
  answers: AnswersByLocation = new Map(),
): DeliveryResponse {
  const { ids } = request;
  const response: DeliveryResponse = {
    status: 200,
    requestId: answer.requestId,
    client: answer.client,
    id: { tntId: answer.tntId },
  };
  if (ids.thirdPartyId !== undefined) response.id.thirdPartyId = ids.thirdPartyId;
  if (ids.marketingCloudVisitorId !== undefined) response.id.marketingCloudVisitorId = ids.marketingCloudVisitorId;
  if (ids.customerIds !== undefined) response.id.customerIds = ids.customerIds;

  const { execute, prefetch } = request;
  if (execute) {
    response.execute = {};
    if (execute.pageLoad) response.execute.pageLoad = answerOf(answers.get(execute.pageLoad)?.[0]);
    if (execute.mboxes) response.execute.mboxes = mboxAnswers(execute.mboxes, answers);
  }
  if (prefetch) {
    response.prefetch = {};
    if (prefetch.pageLoad) response.prefetch.pageLoad = answerOf(answers.get(prefetch.pageLoad)?.[0]);
    if (prefetch.views) response.prefetch.views = viewAnswers(prefetch.views, answers);
    if (prefetch.mboxes) response.prefetch.mboxes = mboxAnswers(prefetch.mboxes, answers);
  }
  if (request.notifications) response.notifications = request.notifications.map(({ id }) => ({ id }));
  return response;
}
