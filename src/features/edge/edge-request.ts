import { createHash } from 'node:crypto';
import type { Limits } from '../../config.js';
import type { AttributeWrite } from '../../domain/attributes.js';
import { parseOpaqueId, parseThirdPartyId, parseTntId } from '../../domain/identity.js';
import { BadRequestError } from '../../errors.js';
import { cookieValue, decodeIdentityCookie, edgeCookieName } from '../../wire/edge-identity.js';
import { MBOX_COOKIE_NAME, mboxCookieEntry } from '../../wire/mbox-cookie.js';
import type { DeliveryContext } from '../decisioning/context.js';
import type { LocationRequest } from '../decisioning/decide.js';
import type { Datastream } from '../datastreams/datastreams-store.js';
import { type DeliveryRequest, type NotificationRef, type Parameters, readProfileParameters } from '../delivery/delivery-request.js';

/**
 * An Edge Network call of Adobe's Web SDK translated into the visit the Delivery API runs
 * (docs/web-sdk.md#what-an-interact-call-does), pure. What the Web SDK sends, per event:
 *
 * - `data.__adobe.target` (or the flat key `"__adobe.target"`): its `profile.<name>` keys are
 *   profile parameters, read by Delivery's reader with Delivery's limits; its other keys, and the
 *   event's XDM flattened to dotted names, are the mbox parameters of its locations;
 * - `query.personalization.decisionScopes`: each scope is an mbox; `__view__` is the page load and
 *   every view. Locations are prefetched, so a proposition counts only when its display comes back;
 * - `xdm._experience.decisioning`: a display (`propositionEventType.display`) or a click
 *   (`interact`) of propositions served earlier, each carrying the event token we put in its
 *   `scopeDetails`: a notification, counted once;
 * - `xdm.identityMap[<datastream's namespace>][0].id`: the thirdPartyId (whatever its
 *   authenticatedState, as the Edge Network hands it to Target).
 *
 * The ECID comes from the identity state entry (`meta.state.entries`), else the identity cookie,
 * else `identityMap.ECID` (a migrating page); the caller mints one when there is none.
 */

export const VIEW_SCOPE = '__view__';

/** Most events in one call (the Web SDK sends one). */
export const MAX_EDGE_EVENTS = 50;
/** Most XDM leaves flattened into mbox parameters per event; further ones are not parameters. */
export const MAX_XDM_PARAMETERS = 200;

/** A location of the call: what a proposition of it answers (event and scope). */
export interface EdgeLocation extends LocationRequest {
  eventIndex: number;
  /** The decision scope asked for: an mbox name, or `__view__` for the page load and the views. */
  scope: string;
}

export interface EdgeCall {
  /** The visit, in Delivery's terms (no tntId: the visitor is its ECID). */
  request: DeliveryRequest;
  /** Every location asked for, with the event and scope it answers. */
  locations: EdgeLocation[];
  /** Events that asked for propositions (each gets a `personalization:decisions` handle). */
  personalizedEvents: number[];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function fail(message: string, code = 'invalid_edge_request'): never {
  throw new BadRequestError(message, code);
}

/** The visitor's ECID as the call carries it, or undefined (then one is minted). */
export function ecidOf(
  body: Record<string, unknown>,
  cookieHeader: string | undefined,
  datastream: Datastream,
  limits: Limits,
): string | undefined {
  const name = edgeCookieName(datastream.imsOrgId, 'identity');
  const meta = isObject(body.meta) ? body.meta : undefined;
  const state = meta && isObject(meta.state) ? meta.state : undefined;
  const entries = state && Array.isArray(state.entries) ? state.entries : [];
  for (const entry of entries) {
    if (isObject(entry) && entry.key === name && typeof entry.value === 'string') {
      const ecid = decodeIdentityCookie(entry.value);
      if (ecid !== undefined) return checkedEcid(ecid, limits);
    }
  }
  const cookie = cookieValue(cookieHeader, name);
  const fromCookie = cookie === undefined ? undefined : decodeIdentityCookie(cookie);
  if (fromCookie !== undefined) return checkedEcid(fromCookie, limits);
  const events = Array.isArray(body.events) ? body.events : [];
  for (const event of events) {
    const id = identityMapId(isObject(event) ? event.xdm : undefined, 'ECID');
    if (id !== undefined) return checkedEcid(id, limits);
  }
  return undefined;
}

/**
 * at.js migration (`targetMigrationEnabled`): the SDK then sets `meta.target.migration` and forwards
 * at.js's `mbox` cookie (in `meta.state.entries`, or the `Cookie` header); its `PC` entry is the
 * visitor's tntId, which the visit links to the ECID, so the at.js profile carries on.
 */
export function migratedTntIdOf(body: Record<string, unknown>, cookieHeader: string | undefined, nowSec: number): string | undefined {
  const meta = isObject(body.meta) ? body.meta : undefined;
  const target = meta && isObject(meta.target) ? meta.target : undefined;
  if (target?.migration !== true) return undefined;
  const state = isObject(meta!.state) ? meta!.state : undefined;
  const entries = state && Array.isArray(state.entries) ? state.entries : [];
  let cookie: string | undefined;
  for (const entry of entries) {
    if (isObject(entry) && entry.key === MBOX_COOKIE_NAME && typeof entry.value === 'string') cookie = entry.value;
  }
  cookie ??= cookieValue(cookieHeader, MBOX_COOKIE_NAME);
  if (cookie === undefined) return undefined;
  let decoded = cookie;
  try {
    decoded = cookie.includes('%7C') || cookie.includes('%23') ? decodeURIComponent(cookie) : cookie;
  } catch {
    return undefined;
  }
  return mboxCookieEntry(decoded, 'PC', nowSec);
}

function checkedEcid(ecid: string, limits: Limits): string {
  return parseOpaqueId(ecid, 'ECID', limits.maxDeviceIdLength);
}

/** `xdm.identityMap[namespace][0].id`, when it is a string. */
function identityMapId(xdm: unknown, namespace: string): string | undefined {
  if (!isObject(xdm) || !isObject(xdm.identityMap)) return undefined;
  const ids = xdm.identityMap[namespace];
  const first = Array.isArray(ids) ? ids[0] : undefined;
  return isObject(first) && typeof first.id === 'string' ? first.id : undefined;
}

/** `data.__adobe.target`, nested or as the flat key. */
function targetDataOf(data: unknown): Record<string, unknown> {
  if (!isObject(data)) return {};
  const adobe = data.__adobe;
  if (isObject(adobe) && isObject(adobe.target)) return adobe.target;
  const flat = data['__adobe.target'];
  return isObject(flat) ? flat : {};
}

/** XDM leaves as dotted mbox parameters (`web.webPageDetails.name`), arrays by index, at most MAX_XDM_PARAMETERS. */
function flattenXdm(xdm: Record<string, unknown>, into: Record<string, string | number | boolean>): void {
  flattenInto(xdm, '', 0, into, { room: MAX_XDM_PARAMETERS });
}

// A module-level function, not a closure made per call: no function object per event.
function flattenInto(
  value: object,
  prefix: string,
  depth: number,
  into: Record<string, string | number | boolean>,
  left: { room: number },
): void {
  for (const key in value) {
    if (left.room <= 0) return;
    if (!Object.hasOwn(value, key)) continue;
    // The decisioning block is a notification and the identity map the ids, not parameters.
    if (depth === 0 && (key === '_experience' || key === 'identityMap')) continue;
    const inner = (value as Record<string, unknown>)[key];
    const type = typeof inner;
    if (type === 'string' || type === 'number' || type === 'boolean') {
      into[prefix + key] = inner as string | number | boolean;
      left.room--;
    } else if (type === 'object' && inner !== null && depth < 7) flattenInto(inner as object, `${prefix}${key}.`, depth + 1, into, left);
  }
}

/** The decision scopes an event asks for, as the Web SDK lists them; undefined when it asks for none. */
function scopesOf(event: Record<string, unknown>, index: number, limits: Limits): string[] | undefined {
  const query = isObject(event.query) ? event.query : undefined;
  const personalization = query && isObject(query.personalization) ? query.personalization : undefined;
  if (!personalization) return undefined;
  const scopes = personalization.decisionScopes;
  if (scopes === undefined) return [];
  if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === 'string' && scope.length > 0 && scope.length <= 250)) {
    fail(`events[${index}].query.personalization.decisionScopes must be an array of scope names (1 to 250 characters)`);
  }
  if (scopes.length > limits.maxDeliveryMboxes) {
    fail(`events[${index}].query.personalization.decisionScopes: size must be between 0 and ${limits.maxDeliveryMboxes}`, 'too_many_items');
  }
  return [...new Set(scopes as string[])];
}

/** Display and click notifications of an event (`xdm._experience.decisioning`); its id is fixed by the caller. */
function notificationOf(xdm: Record<string, unknown>): (Omit<NotificationRef, 'id'> & { basis: string }) | undefined {
  const experience = isObject(xdm._experience) ? xdm._experience : undefined;
  const decisioning = experience && isObject(experience.decisioning) ? experience.decisioning : undefined;
  if (!decisioning || !Array.isArray(decisioning.propositions)) return undefined;
  const kinds = isObject(decisioning.propositionEventType) ? decisioning.propositionEventType : {};
  const eventType = typeof xdm.eventType === 'string' ? xdm.eventType : '';
  const click = kinds.interact === 1 || eventType === 'decisioning.propositionInteract';
  const display = !click && (kinds.display === 1 || eventType === 'decisioning.propositionDisplay');
  if (!click && !display) return undefined;
  const tokens: string[] = [];
  const ids: unknown[] = [];
  for (const proposition of decisioning.propositions.slice(0, 100)) {
    if (!isObject(proposition)) continue;
    ids.push(proposition.id ?? null);
    const details = isObject(proposition.scopeDetails) ? proposition.scopeDetails : undefined;
    const characteristics = details && isObject(details.characteristics) ? details.characteristics : undefined;
    const token = characteristics?.[click ? 'clickToken' : 'eventToken'];
    if (typeof token === 'string') tokens.push(token);
  }
  const type = click ? 'click' : 'display';
  // The same event sent again (a retry) has the same identity; another display has another timestamp.
  const basis = JSON.stringify([type, xdm.timestamp ?? null, xdm._id ?? null, ids, tokens]);
  return { type, tokens, basis };
}

/** The page's URL and referrer (`xdm.web`), as a Delivery context's address. */
function contextOf(xdm: Record<string, unknown>, userAgent: string | undefined): DeliveryContext {
  const context: DeliveryContext = {};
  if (userAgent) context.userAgent = userAgent;
  const web = isObject(xdm.web) ? xdm.web : undefined;
  const page = web && isObject(web.webPageDetails) ? web.webPageDetails.URL : undefined;
  const referrer = web && isObject(web.webReferrer) ? web.webReferrer.URL : undefined;
  if (typeof page === 'string' || typeof referrer === 'string') {
    context.address = {};
    if (typeof page === 'string') context.address.url = page;
    if (typeof referrer === 'string' && referrer !== '') context.address.referringUrl = referrer;
  }
  return context;
}

type ParameterValue = string | number | boolean;

const isScalar = (value: unknown): value is ParameterValue =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/**
 * The XDM leaf a flattened name (`web.webPageDetails.name`) names, found without flattening: each
 * `.` may separate two keys or belong to one, as flattening joins them. Where two leaves flatten to
 * one name, the one flattening writes last wins, as in the listing. Skips what flattening skips.
 */
function xdmLeaf(object: object, name: string, depth: number): ParameterValue | undefined {
  let found: ParameterValue | undefined;
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    if (depth === 0 && (key === '_experience' || key === 'identityMap')) continue;
    const inner = (object as Record<string, unknown>)[key];
    if (key === name) {
      if (isScalar(inner)) found = inner;
    } else if (depth < 7 && typeof inner === 'object' && inner !== null && name.startsWith(key) && name[key.length] === '.') {
      const deeper = xdmLeaf(inner, name.slice(key.length + 1), depth + 1);
      if (deeper !== undefined) found = deeper;
    }
  }
  return found;
}

/**
 * An event's mbox parameters: its `__adobe.target` keys over its XDM flattened to dotted names. A
 * single name (category affinity reads `user.categoryId` on every visit, an offer `${mbox.x}`) is
 * looked up in the XDM directly; the XDM is flattened only when the parameters are listed (a
 * condition on `mbox.*` nests them all, a script is handed them all). Read-only.
 */
class EventParameters implements ProxyHandler<Parameters> {
  private flat: Record<string, ParameterValue> | undefined;
  private view: Readonly<Record<string, unknown>> | undefined;

  constructor(
    private readonly xdm: Record<string, unknown>,
    private readonly target: Parameters,
  ) {}

  get value(): Readonly<Record<string, unknown>> {
    this.view ??= new Proxy(this.target, this);
    return this.view;
  }

  private all(): Record<string, ParameterValue> {
    if (!this.flat) {
      this.flat = {};
      flattenXdm(this.xdm, this.flat);
      Object.assign(this.flat, this.target);
    }
    return this.flat;
  }

  private lookup(name: string): ParameterValue | undefined {
    if (Object.hasOwn(this.target, name)) return this.target[name];
    // Past the flattening cap only the listed leaves exist: once listed, ask the list.
    if (this.flat) return Object.hasOwn(this.flat, name) ? this.flat[name] : undefined;
    return xdmLeaf(this.xdm, name, 0);
  }

  get(_target: Parameters, name: string | symbol): unknown {
    return typeof name === 'string' ? this.lookup(name) : undefined;
  }

  has(_target: Parameters, name: string | symbol): boolean {
    return typeof name === 'string' && this.lookup(name) !== undefined;
  }

  ownKeys(): string[] {
    return Object.keys(this.all());
  }

  getOwnPropertyDescriptor(_target: Parameters, name: string | symbol): PropertyDescriptor | undefined {
    if (typeof name !== 'string') return undefined;
    const all = this.all();
    if (!Object.hasOwn(all, name)) return undefined;
    return { value: all[name], writable: true, enumerable: true, configurable: true };
  }

  set(): boolean {
    return false;
  }

  defineProperty(): boolean {
    return false;
  }

  deleteProperty(): boolean {
    return false;
  }
}

/** A location of an event; `parameters` is read through the event's (a prototype getter: no per-object accessor). */
class EdgeLocationRequest implements EdgeLocation {
  readonly mode: LocationRequest['mode'];
  readonly kind: LocationRequest['kind'];
  readonly name?: string;
  readonly index?: number;
  readonly eventIndex: number;
  readonly scope: string;

  constructor(
    fields: Omit<LocationRequest, 'parameters'> & { eventIndex: number; scope: string },
    private readonly eventParameters: EventParameters,
  ) {
    this.mode = fields.mode;
    this.kind = fields.kind;
    if (fields.name !== undefined) this.name = fields.name;
    if (fields.index !== undefined) this.index = fields.index;
    this.eventIndex = fields.eventIndex;
    this.scope = fields.scope;
  }

  get parameters(): Readonly<Record<string, unknown>> {
    return this.eventParameters.value;
  }
}

function profileParametersOf(target: Record<string, unknown>, index: number, limits: Limits, writes: AttributeWrite[]): Parameters {
  const profile: Parameters = {};
  const mbox: Parameters = {};
  for (const [key, value] of Object.entries(target)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
    if (key.startsWith('profile.')) profile[key.slice('profile.'.length)] = value;
    else mbox[key] = value;
  }
  readProfileParameters(profile, `events[${index}].data.__adobe.target`, limits, writes);
  return mbox;
}

export interface EdgeCallInput {
  body: Record<string, unknown>;
  ecid: string;
  datastream: Datastream;
  userAgent: string | undefined;
  requestId: string | undefined;
  limits: Limits;
  /** The tntId of a migrating at.js visitor (migratedTntIdOf). */
  migratedTntId?: string;
}

/** The visit an Edge call makes (see above); any violation refuses the whole call, naming the field. */
export function translateEdgeCall(input: EdgeCallInput): EdgeCall {
  const { body, ecid, datastream, limits } = input;
  const events = body.events === undefined ? [] : body.events;
  if (!Array.isArray(events)) fail('events must be an array');
  if (events.length > MAX_EDGE_EVENTS) fail(`events: size must be between 0 and ${MAX_EDGE_EVENTS}`, 'too_many_items');

  const writes: AttributeWrite[] = [];
  const locations: EdgeLocation[] = [];
  const notifications: NotificationRef[] = [];
  const personalizedEvents: number[] = [];
  let thirdPartyId: string | undefined;
  let context: DeliveryContext = input.userAgent ? { userAgent: input.userAgent } : {};
  for (let index = 0; index < events.length; index++) {
    const event: unknown = events[index];
    if (!isObject(event)) fail(`events[${index}] must be an object`);
    const xdm = event.xdm === undefined ? {} : event.xdm;
    if (!isObject(xdm)) fail(`events[${index}].xdm must be an object`);
    if (index === 0) context = contextOf(xdm, input.userAgent);

    const namespace = datastream.thirdPartyIdNamespace;
    const crmId = namespace === null ? undefined : identityMapId(xdm, namespace);
    if (crmId !== undefined && thirdPartyId === undefined) {
      thirdPartyId = parseThirdPartyId(crmId, `events[${index}].xdm.identityMap.${namespace}[0].id`, limits.maxDeliveryThirdPartyIdLength);
    }

    const parameters = new EventParameters(xdm, profileParametersOf(targetDataOf(event.data), index, limits, writes));

    const scopes = scopesOf(event, index, limits);
    if (scopes !== undefined) {
      personalizedEvents.push(index);
      for (const scope of scopes) {
        if (scope === VIEW_SCOPE) {
          locations.push(new EdgeLocationRequest({ mode: 'prefetch', kind: 'pageLoad', eventIndex: index, scope }, parameters));
          locations.push(new EdgeLocationRequest({ mode: 'prefetch', kind: 'view', eventIndex: index, scope }, parameters));
        } else {
          const fields = { mode: 'prefetch', kind: 'mbox', name: scope, index: locations.length, eventIndex: index, scope } as const;
          locations.push(new EdgeLocationRequest(fields, parameters));
        }
      }
    }

    const notification = notificationOf(xdm);
    if (notification) {
      const id = createHash('sha256').update(`${ecid}\u0000${notification.basis}`).digest('base64url');
      notifications.push({ id: `edge:${id}`, type: notification.type, tokens: notification.tokens });
    }
  }

  const meta = isObject(body.meta) ? body.meta : undefined;
  const overrides = meta && isObject(meta.configOverrides) ? meta.configOverrides : undefined;
  const target = overrides && isObject(overrides.com_adobe_target) ? overrides.com_adobe_target : undefined;
  const propertyToken = typeof target?.propertyToken === 'string' ? target.propertyToken : (datastream.propertyToken ?? undefined);

  const request: DeliveryRequest = {
    requestId: input.requestId,
    beacon: false,
    ids: {
      marketingCloudVisitorId: ecid,
      authenticatedCustomerIds: [],
      ...(thirdPartyId === undefined ? {} : { thirdPartyId }),
      ...(input.migratedTntId === undefined
        ? {}
        : {
            tntId: input.migratedTntId,
            tntIdKey: parseTntId(input.migratedTntId, 'the PC entry of the mbox cookie', limits.maxDeviceIdLength),
          }),
    },
    writes,
    context,
    locations,
    ...(propertyToken === undefined ? {} : { propertyToken }),
    ...(notifications.length > 0 ? { notifications } : {}),
  };
  return { request, locations, personalizedEvents };
}
