import type { Limits } from '../../config.js';
import { applyWrites } from '../../domain/attributes.js';
import { type Clock, DAY_MS } from '../../domain/clock.js';
import { mintTntId, type VisitorIdRef } from '../../domain/identity.js';
import { recordSessionVisit, type VisitFacts } from '../../domain/sessions.js';
import { BadRequestError, NotFoundError } from '../../errors.js';
import type { ClientsService } from '../clients/clients-service.js';
import type { ClientSettings } from '../clients/clients-store.js';
import type { DeliveryRequest } from './delivery-request.js';
import { deliveryResponse, type DeliveryResponse } from './delivery-response.js';
import type { VisitsStore } from './visits-store.js';

const HOUR_MS = 3_600_000;

/**
 * A visit keeps the profile for the client's lifetime from now, rounded up to the next full hour:
 * never shorter than the contract's lifetime, and the many visits of one hour leave the stored
 * expiry (and its index entry) untouched.
 */
export function visitExpiry(now: number, lifetimeDays: number): number {
  return Math.ceil((now + lifetimeDays * DAY_MS) / HOUR_MS) * HOUR_MS;
}

export interface ClientQuery {
  client?: string;
  imsOrgId?: string;
}

export interface DeliveryOutcome {
  response: DeliveryResponse;
  /** Derived per request, for decisions and response tokens (docs/wire-contract.md#84-sessions-and-system-attributes). */
  facts: VisitFacts;
  /** Internal key of the visited profile (never on the wire). */
  profileKey: string;
  /** Anonymous profiles merged into the visitor's by this request. */
  merged: number;
}

/**
 * A page view through the Delivery API: identify (or mint) the visitor, merge its ids, record the
 * session and store its profile parameters — one atomic visit — then answer in Delivery's shape.
 */
export class DeliveryService {
  constructor(
    private readonly clients: ClientsService,
    private readonly visits: VisitsStore,
    private readonly clock: Clock,
    private readonly limits: Limits,
  ) {}

  /**
   * `client`, else the client owning `imsOrgId` (Adobe's SDK sends only that), else the only
   * client when there is exactly one (docs/wire-contract.md#81-request). A name that matches
   * nothing is an error, never a silent fallback: a misconfigured site must not write into another
   * tenant.
   */
  async resolveClient(query: ClientQuery): Promise<ClientSettings> {
    if (query.client) return this.clients.require(query.client);
    if (query.imsOrgId) {
      const client = await this.clients.findByImsOrgId(query.imsOrgId);
      if (!client) {
        throw new NotFoundError(`Unknown imsOrgId '${query.imsOrgId.slice(0, 80)}': no client has it`, 'unknown_ims_org');
      }
      return client;
    }
    const all = await this.clients.list();
    if (all.length === 1) return all[0]!;
    throw new BadRequestError(
      `The client or imsOrgId query parameter is required: this server has ${all.length} clients`,
      'client_missing',
    );
  }

  async deliver(client: ClientSettings, sessionId: string, request: DeliveryRequest): Promise<DeliveryOutcome> {
    const { ids } = request;
    const tntId = ids.tntId ?? mintTntId();
    const refs: VisitorIdRef[] = [{ kind: 'tntId', value: ids.tntIdKey ?? tntId }];
    if (ids.thirdPartyId !== undefined) refs.push({ kind: 'thirdPartyId', value: ids.thirdPartyId });
    if (ids.marketingCloudVisitorId !== undefined) refs.push({ kind: 'marketingCloudVisitorId', value: ids.marketingCloudVisitorId });
    for (const customerId of ids.authenticatedCustomerIds) refs.push({ kind: 'customerId', value: customerId });

    const now = this.clock.now();
    let facts: VisitFacts | undefined;
    const visit = await this.visits.recordVisit(client.code, {
      now,
      expiresAt: visitExpiry(now, client.profileLifetimeDays),
      maxProfileBytes: this.limits.maxProfileBytes,
      idCaps: this.limits,
      refs,
      apply: (state) => {
        // The store's planner checks the result against maxProfileBytes (visit-plan.ts).
        const session = recordSessionVisit(state.attributes, state.session, sessionId, now);
        facts = session.facts;
        return { attributes: applyWrites(session.attributes, request.writes, now), session: session.session };
      },
    });

    const response = deliveryResponse(request, {
      requestId: request.requestId ?? crypto.randomUUID(),
      client: client.code,
      tntId,
    });
    return { response, facts: facts!, profileKey: visit.key, merged: visit.absorbed };
  }
}
