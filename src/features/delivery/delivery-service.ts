import type { Limits } from '../../config.js';
import { applyWrites } from '../../domain/attributes.js';
import { type Clock, DAY_MS } from '../../domain/clock.js';
import { mintTntId, type VisitorIdRef } from '../../domain/identity.js';
import { recordSessionVisit, type VisitFacts } from '../../domain/sessions.js';
import { BadRequestError, NotFoundError } from '../../errors.js';
import type { ClientsService } from '../clients/clients-service.js';
import type { ClientSettings } from '../clients/clients-store.js';
import type { ClientDecisions } from '../activities/activities-service.js';
import { attributeValues } from '../decisioning/context.js';
import type { ConditionFailure, LocationRequest } from '../decisioning/decide.js';
import type { EventTokenKey } from '../decisioning/event-tokens.js';
import type { DeliveryRequest } from './delivery-request.js';
import { type AnswersByLocation, deliveryResponse, type DeliveryResponse } from './delivery-response.js';
import { impressionsOf, notificationCounts } from './visit-counts.js';
import { decideVisit, decidesAnything, type VisitAnswer, type VisitDecisions } from './visit-decisions.js';
import type { CountedGroup, VisitsStore } from './visits-store.js';
import { AFFINITIES_ATTRIBUTE, AFFINITY_ATTRIBUTE } from '../../domain/category-affinity.js';
import { withinSizeLimit } from '../../domain/script-writes.js';
import { type RunFailure, runScripts } from '../profile-scripts/script-runs.js';
import { type ClientScripts, withVisitCategories } from '../profile-scripts/scripts-service.js';

const HOUR_MS = 3_600_000;

/**
 * A visit keeps the profile for the client's lifetime from now, rounded up to the next full hour:
 * never shorter than the contract's lifetime, and the many visits of one hour leave the stored
 * expiry (and its index entry) untouched.
 */
export function visitExpiry(now: number, lifetimeDays: number, dayMs = DAY_MS): number {
  const roundMs = dayMs === DAY_MS ? HOUR_MS : Math.max(1, Math.floor(dayMs / 24));
  return Math.ceil((now + lifetimeDays * dayMs) / roundMs) * roundMs;
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
  /** Conditions that failed while evaluated (they did not match); worth a log line. */
  conditionFailures: readonly ConditionFailure[];
  /** Notification tokens that did not verify and counted nothing. */
  rejectedTokens: number;
  /** Notification groups not counted again: their id had been counted before. */
  replayedNotifications: number;
}

export interface VisitOptions {
  /** false: a request without a tntId gets none (the Edge call: its visitor is known by its ECID). Default true. */
  mintTntId?: boolean;
}

/** What a visit did, before any wire shapes it. */
export interface VisitOutcome extends Omit<DeliveryOutcome, 'response'> {
  /** The tntId of the visit: the request's, or minted; undefined when the visit has none (mintTntId: false). */
  tntId: string | undefined;
  /** Each decided location (several for a view request without a name), in request order. */
  answers: readonly VisitAnswer[];
}

/** Where delivery finds a client's activities and the keys of event tokens (the activities feature). */
export interface DecisionSource {
  /** The client's compiled activities and imported artifact; cheap: compiled once per change. */
  decisions(client: string): Promise<ClientDecisions>;
  /** Keys that verify event tokens; the first signs. */
  eventTokenKeys(): Promise<readonly EventTokenKey[]>;
}

/** Where delivery finds a client's profile scripts (the profile-scripts feature). */
export interface ScriptSource {
  /** The client's active scripts, compiled; null when it has none (cheap: compiled once per change). */
  forVisit(client: string): Promise<ClientScripts | null>;
  /** Records the scripts a visit saw fail as disabled. */
  disableFailed(client: string, failures: readonly RunFailure[]): Promise<void>;
}

/** Response tokens of the visit that only the profile knows (docs/profile-scripts.md#category-affinity). */
function affinityTokens(attributes: ReadonlyMap<string, { value: string }>): ReadonlyMap<string, string> | undefined {
  const best = attributes.get(AFFINITY_ATTRIBUTE)?.value;
  if (best === undefined) return undefined;
  return new Map([
    ['profile.categoryAffinity', best],
    ['profile.categoryAffinities', attributes.get(AFFINITIES_ATTRIBUTE)?.value ?? best],
  ]);
}

const headersOf = (request: DeliveryRequest) => (request.headers === undefined ? {} : { headers: request.headers });

function extraTokensOf(attributes: ReadonlyMap<string, { value: string }>) {
  const tokens = affinityTokens(attributes);
  return tokens ? { extraResponseTokens: tokens } : {};
}

const propertyOf = (request: DeliveryRequest) => (request.propertyToken === undefined ? {} : { propertyToken: request.propertyToken });

function byLocation(answers: readonly VisitAnswer[]): AnswersByLocation {
  const map = new Map<LocationRequest, VisitAnswer[]>();
  for (const answer of answers) {
    const list = map.get(answer.request);
    if (list) list.push(answer);
    else map.set(answer.request, [answer]);
  }
  return map;
}

/**
 * A page view through the Delivery API: identify (or mint) the visitor, merge its ids, record the
 * session, store its profile parameters, decide each location from the profile as it now is and
 * count what the request counts (impressions of executed decisions, notifications) — one atomic
 * visit — then answer in Delivery's shape.
 */
export class DeliveryService {
  constructor(
    private readonly clients: ClientsService,
    private readonly visits: VisitsStore,
    private readonly clock: Clock,
    private readonly limits: Limits,
    private readonly decisions: DecisionSource,
    /** How long one day of a client's profileLifetimeDays lasts (config.lifetimeDayMs). */
    private readonly dayMs = DAY_MS,
    private readonly scripts?: ScriptSource,
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
    const visited = await this.visit(client, sessionId, request);
    const response = deliveryResponse(
      request,
      { requestId: request.requestId ?? crypto.randomUUID(), client: client.code, tntId: visited.tntId! },
      byLocation(visited.answers),
    );
    const { facts, profileKey, merged, conditionFailures, rejectedTokens, replayedNotifications } = visited;
    return { response, facts, profileKey, merged, conditionFailures, rejectedTokens, replayedNotifications };
  }

  /**
   * The visit itself, whatever the wire it came by (the Delivery API, the Edge Network's
   * interact call: docs/web-sdk.md): ids linked and merged, session, profile parameters, decisions
   * from the profile as this request leaves it, and what it counts, in one atomic visit. A visit
   * with `mintTntId: false` and no tntId of its own links none (an Edge visitor is known by its
   * ECID); its decisions then see the ECID where a tntId would be.
   */
  async visit(client: ClientSettings, sessionId: string, request: DeliveryRequest, options: VisitOptions = {}): Promise<VisitOutcome> {
    const scripts = this.scripts ? await this.scripts.forVisit(client.code) : null;
    // A store may run the visit's `apply` again (a restarted transaction): failures add up, once per script.
    const failures = new Map<string, RunFailure>();
    try {
      return await this.recordedVisit(client, sessionId, request, options, scripts, (failed) => {
        for (const failure of failed) if (!failures.has(failure.name)) failures.set(failure.name, failure);
      });
    } finally {
      // A failed script already stopped running in this process; the store records why, for all.
      if (failures.size > 0) await this.scripts!.disableFailed(client.code, [...failures.values()]).catch(() => {});
    }
  }

  private async recordedVisit(
    client: ClientSettings,
    sessionId: string,
    request: DeliveryRequest,
    options: VisitOptions,
    scripts: ClientScripts | null,
    onFailures: (failures: RunFailure[]) => void,
  ): Promise<VisitOutcome> {
    const { ids } = request;
    const tntId = ids.tntId ?? (options.mintTntId === false ? undefined : mintTntId());
    const refs: VisitorIdRef[] = tntId === undefined ? [] : [{ kind: 'tntId', value: ids.tntIdKey ?? tntId }];
    if (ids.thirdPartyId !== undefined) refs.push({ kind: 'thirdPartyId', value: ids.thirdPartyId });
    if (ids.marketingCloudVisitorId !== undefined) refs.push({ kind: 'marketingCloudVisitorId', value: ids.marketingCloudVisitorId });
    for (const customerId of ids.authenticatedCustomerIds) refs.push({ kind: 'customerId', value: customerId });
    if (refs.length === 0) throw new BadRequestError('A visit needs an id of the visitor', 'id_missing');
    const decidingTntId = tntId ?? ids.marketingCloudVisitorId ?? ids.thirdPartyId ?? '';

    // Read before the visit's transaction: the index is in memory, the keys after their first use.
    const notifying = request.notifications?.some((notification) => notification.tokens.length > 0) === true;
    const decisions = request.locations.length > 0 || notifying ? await this.decisions.decisions(client.code) : undefined;
    const deciding = decisions !== undefined && request.locations.length > 0 && decidesAnything(decisions);
    const notified = notifying
      ? notificationCounts(
          request.notifications!,
          client.code,
          await this.decisions.eventTokenKeys(),
          decisions?.imported?.catalogue.eventTokens,
        )
      : { groups: [], rejectedTokens: 0 };

    const now = this.clock.now();
    let facts: VisitFacts | undefined;
    let decided: VisitDecisions | undefined;
    const visit = await this.visits.recordVisit(client.code, {
      now,
      expiresAt: visitExpiry(now, client.profileLifetimeDays, this.dayMs),
      maxProfileBytes: this.limits.maxProfileBytes,
      idCaps: this.limits,
      refs,
      apply: (state) => {
        // The store's planner checks the result against maxProfileBytes (visit-plan.ts).
        const session = recordSessionVisit(state.attributes, state.session, sessionId, now);
        facts = session.facts;
        let attributes = applyWrites(session.attributes, request.writes, now);
        // Category affinity, then profile scripts: both before any decision (docs/profile-scripts.md).
        attributes = withVisitCategories(attributes, request.locations, session.facts.isNewSession, now);
        if (scripts) {
          const runs = runScripts(
            scripts.sandbox,
            scripts.scripts,
            { tntId: decidingTntId, sessionId, facts: session.facts, context: request.context, ...headersOf(request), now },
            request.locations,
            attributes,
          );
          onFailures(runs.failures);
          attributes = withinSizeLimit(attributes, runs.attributes, this.limits.maxProfileBytes).attributes;
        }
        // Decided from the profile after this request's writes, inside the visit: what is decided is what is counted.
        if (deciding) {
          decided = decideVisit(
            decisions,
            {
              ids: { tntId: decidingTntId, thirdPartyId: ids.thirdPartyId, marketingCloudVisitorId: ids.marketingCloudVisitorId },
              allocationIds: { tntId: ids.tntId, thirdPartyId: ids.thirdPartyId, marketingCloudVisitorId: ids.marketingCloudVisitorId },
              sessionId,
              attributes: attributeValues(attributes),
              facts: session.facts,
              context: request.context,
              now,
              ...extraTokensOf(attributes),
            },
            request.locations,
            { ...(client.responseTokens ? { responseTokens: client.responseTokens } : {}), ...propertyOf(request) },
          );
        }
        return { attributes, session: session.session };
      },
      counted: (): readonly CountedGroup[] => [...impressionsOf(decided?.answers ?? []), ...notified.groups],
    });

    return {
      tntId,
      answers: decided?.answers ?? [],
      facts: facts!,
      profileKey: visit.key,
      merged: visit.absorbed,
      conditionFailures: decided?.conditionFailures ?? [],
      rejectedTokens: notified.rejectedTokens,
      replayedNotifications: visit.replayedNotifications ?? 0,
    };
  }
}
