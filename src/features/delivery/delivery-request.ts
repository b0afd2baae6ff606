import type { Limits } from '../../config.js';
import { attributeNameProblem, attributeValueProblem, type AttributeWrite } from '../../domain/attributes.js';
import { parseOpaqueId, parseThirdPartyId, parseTntId } from '../../domain/identity.js';
import { BadRequestError } from '../../errors.js';
import type { LocationRequest } from '../decisioning/decide.js';
import type { Address, DeliveryContext } from '../decisioning/context.js';
import type { DeliveryBody } from './delivery-schemas.js';

/**
 * The parts of a Delivery API request that profile-edge acts on, read from a body that its schema
 * (delivery-schemas.ts: shapes, types, fixed lengths) has accepted. Here: the limits of the
 * configuration, the attribute rules and the visitor-id rules. Any violation rejects the whole
 * request with a message naming the field, before anything is written: the same body always gets
 * the same answer, so the SDK's ten retries are harmless.
 */
/** A location of the request: what decide() needs (mode, parameters, address) plus what is echoed. */
export interface MboxRef extends LocationRequest {
  kind: 'mbox';
  index: number;
  name: string;
}

export interface ViewRef extends LocationRequest {
  kind: 'view';
  name?: string;
  key?: string;
}

export interface PageLoadRef extends LocationRequest {
  kind: 'pageLoad';
}

/** A display or click notification: its id (counted once) and the event tokens it sends back. */
export interface NotificationRef {
  id: string;
  type?: string;
  tokens: string[];
}

export interface CustomerIdEcho {
  id: string;
  integrationCode: string;
  authenticatedState?: string;
}

export interface DeliveryIds {
  /** As sent (location hint included), for the echo. */
  tntId?: string;
  /** The profile key: the tntId without its location hint. */
  tntIdKey?: string;
  thirdPartyId?: string;
  marketingCloudVisitorId?: string;
  /** Echoed as sent. */
  customerIds?: CustomerIdEcho[];
  /** Stored form of the `authenticated` customer ids, the only ones that link (docs/wire-contract.md#21-the-ids). */
  authenticatedCustomerIds: string[];
}

export interface DeliveryRequest {
  requestId: string | undefined;
  beacon: boolean;
  ids: DeliveryIds;
  /** Every profile parameter of the request, in request order, validated; empty values dropped. */
  writes: AttributeWrite[];
  /** `property.token` (at.js properties): an imported artifact's rules of other properties do not decide. */
  propertyToken?: string;
  /** The parts of `context` decisions read (user agent, client hints, address, geo). */
  context: DeliveryContext;
  execute?: { pageLoad?: PageLoadRef; mboxes?: MboxRef[] };
  prefetch?: { pageLoad?: PageLoadRef; views?: ViewRef[]; mboxes?: MboxRef[] };
  /** Every location of the request, in answer order: execute pageLoad, mboxes, then prefetch pageLoad, views, mboxes. */
  locations: LocationRequest[];
  notifications?: NotificationRef[];
  /** The HTTP request's headers, set by the route: profile scripts read them (`user.header`). */
  headers?: Readonly<Record<string, string | string[] | undefined>>;
}

export type Parameters = Record<string, string | number | boolean>;
type Details = { profileParameters?: Parameters | null; parameters?: unknown; address?: unknown };
type Mode = LocationRequest['mode'];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `parameters` and `address` of a location, when they are objects (anything else is ignored, as before). */
function locationDetails(details: Details): Pick<LocationRequest, 'parameters' | 'address'> {
  const result: Pick<LocationRequest, 'parameters' | 'address'> = {};
  if (isObject(details.parameters)) result.parameters = details.parameters;
  if (isObject(details.address)) result.address = details.address as Address;
  return result;
}

/** The parts of the request's `context` the decision context is built from. */
function decisionContextOf(context: Record<string, unknown>): DeliveryContext {
  const result: DeliveryContext = {};
  if (typeof context.userAgent === 'string') result.userAgent = context.userAgent;
  if (isObject(context.clientHints)) result.clientHints = context.clientHints;
  if (isObject(context.address)) result.address = context.address as Address;
  if (isObject(context.geo)) result.geo = context.geo;
  return result;
}
type MboxCall = Details & { index?: number | null; name: string };
type ViewCall = Details & { name?: string | null; key?: string | null };

function fail(message: string, code = 'invalid_delivery_request'): never {
  throw new BadRequestError(message, code);
}

/**
 * Profile parameters as Delivery writes them (docs/wire-contract.md#31-attributes), appended to
 * `writes`: at most `maxDeliveryParameters` names, each name and value within its limit (any
 * violation refuses the request, naming `where`); empty values are dropped, since they never
 * clear anything. The Edge call's `profile.<name>` keys go through the same reader (docs/web-sdk.md).
 */
export function readProfileParameters(params: Parameters, where: string, limits: Limits, writes: AttributeWrite[]): void {
  const names = Object.keys(params);
  if (names.length > limits.maxDeliveryParameters) {
    fail(`${where}: size must be between 0 and ${limits.maxDeliveryParameters}`, 'too_many_profile_parameters');
  }
  for (const name of names) {
    const nameProblem = attributeNameProblem(name, limits.maxNameLength);
    if (nameProblem) fail(`${where}: ${nameProblem}`, 'invalid_attribute_name');
    const value = String(params[name]);
    if (value === '') continue; // empty values never clear anything (docs/wire-contract.md#31-attributes)
    const valueProblem = attributeValueProblem(name, value, limits.maxDeliveryValueLength);
    if (valueProblem) fail(`${where}: ${valueProblem}`, 'invalid_attribute_value');
    writes.push({ name, value });
  }
}

/** Reads what the schema leaves to it: the limits of the configuration, attribute and id rules. */
class RequestReader {
  readonly writes: AttributeWrite[] = [];

  constructor(private readonly limits: Limits) {}

  /** `profileParameters` of a pageLoad, mbox, view or notification. */
  readDetails(details: Details, path: string): void {
    const params = details.profileParameters;
    if (params) readProfileParameters(params, `${path}.profileParameters`, this.limits, this.writes);
  }

  readPageLoad(parent: { pageLoad?: Details | null }, mode: Mode): PageLoadRef | undefined {
    if (!parent.pageLoad) return undefined;
    this.readDetails(parent.pageLoad, `${mode}.pageLoad`);
    return { mode, kind: 'pageLoad', ...locationDetails(parent.pageLoad) };
  }

  readMboxes(mboxes: MboxCall[] | null | undefined, mode: Mode): MboxRef[] | undefined {
    if (!mboxes) return undefined;
    if (mboxes.length > this.limits.maxDeliveryMboxes) {
      fail(`${mode}.mboxes: size must be between 0 and ${this.limits.maxDeliveryMboxes}`, 'too_many_items');
    }
    return mboxes.map((mbox, position) => {
      this.readDetails(mbox, `${mode}.mboxes[${position}]`);
      return { mode, kind: 'mbox', index: mbox.index ?? position, name: mbox.name, ...locationDetails(mbox) };
    });
  }

  readViews(views: ViewCall[] | null | undefined): ViewRef[] | undefined {
    return views?.map((view, position) => {
      this.readDetails(view, `prefetch.views[${position}]`);
      const ref: ViewRef = { mode: 'prefetch', kind: 'view', ...locationDetails(view) };
      if (typeof view.name === 'string') ref.name = view.name;
      if (typeof view.key === 'string') ref.key = view.key;
      return ref;
    });
  }

  readNotifications(notifications: DeliveryBody['notifications']): NotificationRef[] | undefined {
    return notifications?.map((notification, position) => {
      this.readDetails(notification, `notifications[${position}]`);
      const ref: NotificationRef = { id: notification.id, tokens: [] };
      if (typeof notification.type === 'string') ref.type = notification.type;
      if (Array.isArray(notification.tokens)) {
        for (const token of notification.tokens) if (typeof token === 'string') ref.tokens.push(token);
      }
      return ref;
    });
  }

  readIds(id: DeliveryBody['id']): DeliveryIds {
    const ids: DeliveryIds = { authenticatedCustomerIds: [] };
    if (!id) return ids;
    const limits = this.limits;
    if (typeof id.tntId === 'string') {
      ids.tntId = id.tntId;
      ids.tntIdKey = parseTntId(id.tntId, 'id.tntId', limits.maxDeviceIdLength);
    }
    if (typeof id.thirdPartyId === 'string') {
      ids.thirdPartyId = parseThirdPartyId(id.thirdPartyId, 'id.thirdPartyId', limits.maxDeliveryThirdPartyIdLength);
    }
    if (typeof id.marketingCloudVisitorId === 'string') {
      ids.marketingCloudVisitorId = parseOpaqueId(id.marketingCloudVisitorId, 'id.marketingCloudVisitorId', limits.maxDeviceIdLength);
    }
    if (id.customerIds) {
      ids.customerIds = id.customerIds.map((entry, position) => {
        const { id: value, integrationCode, authenticatedState: state } = entry;
        const echo: CustomerIdEcho = { id: value, integrationCode };
        if (typeof state === 'string') echo.authenticatedState = state;
        if (state === 'authenticated') {
          const checked = parseOpaqueId(value, `id.customerIds[${position}].id`, limits.maxDeviceIdLength);
          ids.authenticatedCustomerIds.push(customerIdKey(integrationCode, checked));
        }
        return echo;
      });
    }
    return ids;
  }
}

/** One id per data source: `crm` + `42` → `crm:42` (the code is encoded, so `:` stays unambiguous). */
export function customerIdKey(integrationCode: string, id: string): string {
  return `${encodeURIComponent(integrationCode)}:${id}`;
}

/** The request profile-edge acts on, from a body its schema (delivery-schemas.ts) has accepted. */
export function parseDeliveryRequest(body: DeliveryBody, limits: Limits): DeliveryRequest {
  const reader = new RequestReader(limits);
  const ids = reader.readIds(body.id);
  const request: DeliveryRequest = {
    requestId: body.requestId ?? undefined,
    beacon: body.context.beacon === true,
    ids,
    writes: reader.writes,
    context: decisionContextOf(body.context),
    locations: [],
  };
  const { locations } = request;
  const property = (body as { property?: unknown }).property;
  if (isObject(property) && typeof property.token === 'string') request.propertyToken = property.token;
  if (body.execute) {
    const pageLoad = reader.readPageLoad(body.execute, 'execute');
    const mboxes = reader.readMboxes(body.execute.mboxes, 'execute');
    request.execute = {};
    if (pageLoad) request.execute.pageLoad = pageLoad;
    if (mboxes) request.execute.mboxes = mboxes;
    locations.push(...(pageLoad ? [pageLoad] : []), ...(mboxes ?? []));
  }
  if (body.prefetch) {
    const pageLoad = reader.readPageLoad(body.prefetch, 'prefetch');
    const views = reader.readViews(body.prefetch.views);
    const mboxes = reader.readMboxes(body.prefetch.mboxes, 'prefetch');
    request.prefetch = {};
    if (pageLoad) request.prefetch.pageLoad = pageLoad;
    if (views) request.prefetch.views = views;
    if (mboxes) request.prefetch.mboxes = mboxes;
    locations.push(...(pageLoad ? [pageLoad] : []), ...(views ?? []), ...(mboxes ?? []));
  }
  const notifications = reader.readNotifications(body.notifications);
  if (notifications) request.notifications = notifications;
  return request;
}
