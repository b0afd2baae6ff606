import type { Limits } from '../../config.js';
import type { Clock } from '../../domain/clock.js';
import { BadRequestError } from '../../errors.js';
import { mintEcid } from '../../wire/edge-identity.js';
import type { ClientsService } from '../clients/clients-service.js';
import type { Datastream } from '../datastreams/datastreams-store.js';
import type { DeliveryService, VisitOutcome } from '../delivery/delivery-service.js';
import { ecidOf, type EdgeLocation, migratedTntIdOf, translateEdgeCall } from './edge-request.js';
import { consentHandle, decisionHandles, type EdgeAnswer, type Handle, identityHandles } from './edge-response.js';

/** The Edge Network actions the Web SDK calls (docs/web-sdk.md#routes). */
export type EdgeAction = 'interact' | 'collect' | 'privacy/set-consent' | 'identity/acquire';

export const EDGE_ACTIONS: readonly EdgeAction[] = ['interact', 'collect', 'privacy/set-consent', 'identity/acquire'];

export interface EdgeCallContext {
  action: EdgeAction;
  datastream: Datastream;
  body: Record<string, unknown>;
  /** `?requestId=` of the call, echoed. */
  requestId: string | undefined;
  cookieHeader: string | undefined;
  origin: string | undefined;
  userAgent: string | undefined;
  /** The HTTP request's headers: profile scripts read them (`user.header`). */
  headers?: Readonly<Record<string, string | string[] | undefined>>;
}

export interface EdgeOutcome {
  /** The answer; undefined for `collect` (204, no body). */
  answer: EdgeAnswer | undefined;
  /** The visit, when the call made one. */
  visit?: VisitOutcome;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `consent[].value` of a set-consent call (Adobe 1.0 standard): purpose → `in` | `out`. */
function consentOf(body: Record<string, unknown>): Map<string, string> {
  const purposes = new Map<string, string>();
  const consent = Array.isArray(body.consent) ? body.consent : [];
  for (const entry of consent) {
    if (!isObject(entry) || entry.standard !== 'Adobe' || !isObject(entry.value)) continue;
    for (const [purpose, choice] of Object.entries(entry.value)) {
      if (/^[A-Za-z0-9_-]{1,64}$/.test(purpose) && (choice === 'in' || choice === 'out')) purposes.set(purpose, choice);
    }
  }
  return purposes;
}

/**
 * Adobe's Web SDK against profile-edge (docs/web-sdk.md): each Edge call becomes the visit the
 * Delivery API runs (`DeliveryService.visit`: the same write rule, decisions, scripts and
 * counting), keyed by the visitor's ECID — the profile the Delivery API and the profile APIs see
 * by `marketingCloudVisitorId` — then is answered with the Edge Network's handles.
 */
export class EdgeService {
  constructor(
    private readonly clients: ClientsService,
    private readonly delivery: DeliveryService,
    private readonly limits: Limits,
    private readonly clock: Clock,
  ) {}

  async call(call: EdgeCallContext): Promise<EdgeOutcome> {
    const { action, datastream, body } = call;
    const client = await this.clients.require(datastream.client);
    const known = ecidOf(body, call.cookieHeader, datastream, this.limits);
    const ecid = known ?? mintEcid();
    const handle: Handle[] = identityHandles(ecid, datastream, call.origin);
    const requestId = call.requestId ?? crypto.randomUUID();

    if (action === 'identity/acquire') return { answer: { requestId, handle } };
    if (action === 'privacy/set-consent') {
      const purposes = consentOf(body);
      if (purposes.size === 0) {
        throw new BadRequestError('consent must hold an Adobe 1.0 entry whose value names a purpose: {"general":"in"}', 'invalid_consent');
      }
      handle.push(consentHandle(purposes, datastream, call.origin));
      return { answer: { requestId, handle } };
    }

    const migratedTntId = migratedTntIdOf(body, call.cookieHeader, Math.floor(this.clock.now() / 1000));
    const translated = translateEdgeCall({
      body,
      ecid,
      datastream,
      userAgent: call.userAgent,
      requestId,
      limits: this.limits,
      ...(migratedTntId === undefined ? {} : { migratedTntId }),
    });
    const { request } = translated;
    if (call.headers) request.headers = call.headers;
    const visits =
      known === undefined ||
      request.ids.thirdPartyId !== undefined ||
      request.ids.tntId !== undefined ||
      request.writes.length > 0 ||
      request.locations.length > 0 ||
      request.notifications !== undefined;
    // A call with nothing to write, decide or count for a known visitor (a link click) visits nothing.
    const visit = visits ? await this.delivery.visit(client, ecid, request, { mintTntId: false }) : undefined;
    if (action === 'collect') return { answer: undefined, ...(visit ? { visit } : {}) };

    const locations = new Map<unknown, EdgeLocation>(translated.locations.map((location) => [location, location]));
    handle.push(...decisionHandles(visit?.answers ?? [], locations, translated.personalizedEvents));
    return { answer: { requestId, handle }, ...(visit ? { visit } : {}) };
  }
}
