import type { CustomerIdEcho, DeliveryRequest, MboxRef, ViewRef } from './delivery-request.js';

/**
 * The Delivery API answer (docs/wire-contract.md#83-answer), shaped from the request: each mbox
 * comes back with its `index` and `name`, every id the request sent is echoed and the tntId is
 * always present. Content arrives with a later issue, so every `options` is empty. There is
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
  execute?: { pageLoad?: { options: [] }; mboxes?: MboxAnswer[] };
  prefetch?: { pageLoad?: { options: [] }; views?: ViewAnswer[]; mboxes?: MboxAnswer[] };
  notifications?: Array<{ id: string }>;
}

interface MboxAnswer extends MboxRef {
  options: [];
}

interface ViewAnswer extends ViewRef {
  options: [];
}

const mboxAnswers = (mboxes: readonly MboxRef[]): MboxAnswer[] => mboxes.map(({ index, name }) => ({ index, name, options: [] }));
const viewAnswers = (views: readonly ViewRef[]): ViewAnswer[] => views.map((view) => ({ ...view, options: [] }));

export function deliveryResponse(request: DeliveryRequest, answer: { requestId: string; client: string; tntId: string }): DeliveryResponse {
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

  if (request.execute) {
    response.execute = {};
    if (request.execute.pageLoad) response.execute.pageLoad = { options: [] };
    if (request.execute.mboxes) response.execute.mboxes = mboxAnswers(request.execute.mboxes);
  }
  if (request.prefetch) {
    response.prefetch = {};
    if (request.prefetch.pageLoad) response.prefetch.pageLoad = { options: [] };
    if (request.prefetch.views) response.prefetch.views = viewAnswers(request.prefetch.views);
    if (request.prefetch.mboxes) response.prefetch.mboxes = mboxAnswers(request.prefetch.mboxes);
  }
  if (request.notifications) response.notifications = request.notifications.map(({ id }) => ({ id }));
  return response;
}
