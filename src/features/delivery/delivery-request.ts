import type { Limits } from '../../config.js';
import { attributeNameProblem, attributeValueProblem, type AttributeWrite } from '../../domain/attributes.js';
import { parseOpaqueId, parseThirdPartyId, parseTntId } from '../../domain/identity.js';
import { BadRequestError } from '../../errors.js';

/**
 * The parts of a Delivery API request (docs/wire-contract.md#81-request) that profile-edge acts
 * on, read from the parsed JSON body. Everything else of the model (`context.*`, `experienceCloud`,
 * `telemetry`, `property`, `trace`, `parameters`, `order`, …) is tolerated and ignored. Any
 * violation rejects the whole request with a message naming the field, before anything is
 * written: the same body always gets the same answer, so the SDK's ten retries are harmless.
 */
export interface MboxRef {
  index: number;
  name: string;
}

export interface ViewRef {
  name?: string;
  key?: string;
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
  execute?: { pageLoad: boolean; mboxes?: MboxRef[] };
  prefetch?: { pageLoad: boolean; views?: ViewRef[]; mboxes?: MboxRef[] };
  notifications?: Array<{ id: string }>;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(message: string, code = 'invalid_delivery_request'): never {
  throw new BadRequestError(message, code);
}

function optionalObject(parent: Json, field: string, path: string): Json | undefined {
  const value = parent[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) fail(`${path} must be an object`);
  return value;
}

function optionalArray(parent: Json, field: string, path: string, maxItems?: number): unknown[] | undefined {
  const value = parent[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) fail(`${path} must be an array`);
  if (maxItems !== undefined && value.length > maxItems) fail(`${path}: size must be between 0 and ${maxItems}`, 'too_many_items');
  return value;
}

function optionalString(parent: Json, field: string, path: string, maxLength: number): string | undefined {
  const value = parent[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(`${path} must be a string`);
  if (value.length > maxLength) fail(`${path} is longer than ${maxLength} characters`);
  return value;
}

class RequestReader {
  readonly writes: AttributeWrite[] = [];

  constructor(private readonly limits: Limits) {}

  /** `profileParameters` of a pageLoad, mbox, view or notification. */
  readDetails(details: Json, path: string): void {
    const params = optionalObject(details, 'profileParameters', `${path}.profileParameters`);
    if (!params) return;
    const where = `${path}.profileParameters`;
    const names = Object.keys(params);
    if (names.length > this.limits.maxDeliveryParameters) {
      fail(`${where}: size must be between 0 and ${this.limits.maxDeliveryParameters}`, 'too_many_profile_parameters');
    }
    for (const name of names) {
      const raw = params[name];
      if (raw === null || raw === undefined) fail(`${where}: value of attribute '${name.slice(0, 64)}' must not be null`);
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
        fail(`${where}: value of attribute '${name.slice(0, 64)}' must be a string, number or boolean`);
      }
      const nameProblem = attributeNameProblem(name, this.limits.maxNameLength);
      if (nameProblem) fail(`${where}: ${nameProblem}`, 'invalid_attribute_name');
      const value = String(raw);
      if (value === '') continue; // empty values never clear anything (docs/wire-contract.md#31-attributes)
      const valueProblem = attributeValueProblem(name, value, this.limits.maxDeliveryValueLength);
      if (valueProblem) fail(`${where}: ${valueProblem}`, 'invalid_attribute_value');
      this.writes.push({ name, value });
    }
  }

  readPageLoad(parent: Json, path: string): boolean {
    const pageLoad = optionalObject(parent, 'pageLoad', `${path}.pageLoad`);
    if (pageLoad) this.readDetails(pageLoad, `${path}.pageLoad`);
    return pageLoad !== undefined;
  }

  readMboxes(parent: Json, path: string): MboxRef[] | undefined {
    const mboxes = optionalArray(parent, 'mboxes', `${path}.mboxes`, this.limits.maxDeliveryMboxes);
    return mboxes?.map((mbox, position) => {
      const where = `${path}.mboxes[${position}]`;
      if (!isObject(mbox)) fail(`${where} must be an object`);
      const name = optionalString(mbox, 'name', `${where}.name`, 250);
      if (!name) fail(`${where}.name is required`);
      const index = mbox.index ?? position;
      if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
        fail(`${where}.index must be a whole number of 0 or more`);
      }
      this.readDetails(mbox, where);
      return { index, name };
    });
  }

  readViews(parent: Json, path: string): ViewRef[] | undefined {
    const views = optionalArray(parent, 'views', `${path}.views`);
    return views?.map((view, position) => {
      const where = `${path}.views[${position}]`;
      if (!isObject(view)) fail(`${where} must be an object`);
      this.readDetails(view, where);
      const ref: ViewRef = {};
      const name = optionalString(view, 'name', `${where}.name`, 250);
      const key = optionalString(view, 'key', `${where}.key`, 512);
      if (name !== undefined) ref.name = name;
      if (key !== undefined) ref.key = key;
      return ref;
    });
  }

  readNotifications(body: Json): Array<{ id: string }> | undefined {
    const notifications = optionalArray(body, 'notifications', 'notifications');
    return notifications?.map((notification, position) => {
      const where = `notifications[${position}]`;
      if (!isObject(notification)) fail(`${where} must be an object`);
      const id = optionalString(notification, 'id', `${where}.id`, 200);
      if (!id) fail(`${where}.id is required`);
      this.readDetails(notification, where);
      return { id };
    });
  }

  readIds(body: Json): DeliveryIds {
    const ids: DeliveryIds = { authenticatedCustomerIds: [] };
    const id = optionalObject(body, 'id', 'id');
    if (!id) return ids;
    const limits = this.limits;
    const tntId = optionalString(id, 'tntId', 'id.tntId', Number.MAX_SAFE_INTEGER);
    if (tntId !== undefined) {
      ids.tntId = tntId;
      ids.tntIdKey = parseTntId(tntId, 'id.tntId', limits.maxDeviceIdLength);
    }
    const thirdPartyId = optionalString(id, 'thirdPartyId', 'id.thirdPartyId', Number.MAX_SAFE_INTEGER);
    if (thirdPartyId !== undefined) {
      ids.thirdPartyId = parseThirdPartyId(thirdPartyId, 'id.thirdPartyId', limits.maxDeliveryThirdPartyIdLength);
    }
    const ecid = optionalString(id, 'marketingCloudVisitorId', 'id.marketingCloudVisitorId', Number.MAX_SAFE_INTEGER);
    if (ecid !== undefined) {
      ids.marketingCloudVisitorId = parseOpaqueId(ecid, 'id.marketingCloudVisitorId', limits.maxDeviceIdLength);
    }
    const customerIds = optionalArray(id, 'customerIds', 'id.customerIds', 50);
    if (customerIds) {
      ids.customerIds = customerIds.map((entry, position) => {
        const where = `id.customerIds[${position}]`;
        if (!isObject(entry)) fail(`${where} must be an object`);
        const value = optionalString(entry, 'id', `${where}.id`, Number.MAX_SAFE_INTEGER);
        const integrationCode = optionalString(entry, 'integrationCode', `${where}.integrationCode`, 50);
        if (value === undefined) fail(`${where}.id is required`);
        if (!integrationCode) fail(`${where}.integrationCode is required`);
        const state = optionalString(entry, 'authenticatedState', `${where}.authenticatedState`, 32);
        const echo: CustomerIdEcho = { id: value, integrationCode };
        if (state !== undefined) echo.authenticatedState = state;
        if (state === 'authenticated') {
          const checked = parseOpaqueId(value, `${where}.id`, limits.maxDeviceIdLength);
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

export function parseDeliveryRequest(body: unknown, limits: Limits): DeliveryRequest {
  if (!isObject(body)) fail('Request body must be a JSON object with a context');
  const context = body.context;
  if (!isObject(context)) fail('context is required and must be an object');
  const requestId = optionalString(body, 'requestId', 'requestId', 128);
  const reader = new RequestReader(limits);
  const ids = reader.readIds(body);

  const request: DeliveryRequest = { requestId, beacon: context.beacon === true, ids, writes: reader.writes };
  const execute = optionalObject(body, 'execute', 'execute');
  if (execute) {
    request.execute = { pageLoad: reader.readPageLoad(execute, 'execute') };
    const mboxes = reader.readMboxes(execute, 'execute');
    if (mboxes) request.execute.mboxes = mboxes;
  }
  const prefetch = optionalObject(body, 'prefetch', 'prefetch');
  if (prefetch) {
    request.prefetch = { pageLoad: reader.readPageLoad(prefetch, 'prefetch') };
    const views = reader.readViews(prefetch, 'prefetch');
    const mboxes = reader.readMboxes(prefetch, 'prefetch');
    if (views) request.prefetch.views = views;
    if (mboxes) request.prefetch.mboxes = mboxes;
  }
  const notifications = reader.readNotifications(body);
  if (notifications) request.notifications = notifications;
  return request;
}

// Printable, no whitespace, none of `? { } /` (Target's sessionId rule), 1–128 characters.
// eslint-disable-next-line no-control-regex
const SESSION_ID = /^[^\s?{}/\u0000-\u001F\u007F-\u009F]{1,128}$/u;

export function parseSessionId(raw: unknown): string {
  if (raw === undefined || raw === '') fail('The sessionId query parameter is required', 'session_id_missing');
  if (typeof raw !== 'string') fail('The sessionId query parameter is given more than once', 'invalid_session_id');
  if (!SESSION_ID.test(raw) || raw.length > 128) {
    fail('sessionId must be 1 to 128 printable characters without spaces, ?, {, } or /', 'invalid_session_id');
  }
  return raw;
}
