import { edgeCookieName, encodeIdentityCookie } from '../../wire/edge-identity.js';
import type { Datastream } from '../datastreams/datastreams-store.js';
import type { VisitAnswer } from '../delivery/visit-decisions.js';
import type { EdgeLocation } from './edge-request.js';

/**
 * The Edge Network's answer to the Web SDK (docs/web-sdk.md#the-answer), pure: a `handle` array.
 *
 * - `identity:result` with the ECID, and `state:store` writing the identity cookie
 *   `kndctr_<org>_identity` (the SDK writes it as a first-party cookie of the page; `SameSite=None`
 *   only for https pages, where the browser keeps it);
 * - one `personalization:decisions` handle per event that asked, its propositions in the Web SDK's
 *   item schemas: html offers `html-content-item`, json offers `json-content-item`, redirects
 *   `redirect-item`, the view changes of an imported artifact's `actions` `dom-action` items. Each
 *   proposition's `scopeDetails` carries the display token (`characteristics.eventToken`) and the
 *   activity's first click token (`characteristics.clickToken`), which its display and click
 *   events echo back to be counted.
 * Never a cluster cookie, `locationHint:result`, `identity:exchange` or `activation:push`: the SDK
 * would leave profile-edge for Adobe's hosts or fire id syncs.
 */

export const SCHEMA = {
  html: 'https://ns.adobe.com/personalization/html-content-item',
  json: 'https://ns.adobe.com/personalization/json-content-item',
  redirect: 'https://ns.adobe.com/personalization/redirect-item',
  domAction: 'https://ns.adobe.com/personalization/dom-action',
} as const;

/** The identity cookie's lifetime as the Edge Network sets it (395 days). */
export const IDENTITY_MAX_AGE_SECONDS = 34_128_000;

export interface Handle {
  type: string;
  payload: unknown[];
  eventIndex?: number;
}

export interface EdgeAnswer {
  requestId: string;
  handle: Handle[];
}

interface Item {
  id: string;
  schema: string;
  data: Record<string, unknown>;
}

export interface Proposition {
  id: string;
  scope: string;
  scopeDetails: {
    decisionProvider: 'TGT';
    activity: { id: string };
    experience: { id: string };
    strategies: Array<{ algorithmID: string; trafficType: string }>;
    characteristics: { eventToken?: string; clickToken?: string; scopeType?: 'view' };
    correlationID: string;
  };
  items: Item[];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The cookie attributes of a `state:store`: SameSite=None (which forces Secure) only for an https page. */
function cookieAttributes(origin: string | undefined): { attrs?: { SameSite: 'None' } } {
  return origin?.startsWith('https://') ? { attrs: { SameSite: 'None' } } : {};
}

export function identityHandles(ecid: string, datastream: Datastream, origin: string | undefined): Handle[] {
  return [
    { type: 'identity:result', payload: [{ id: ecid, namespace: { code: 'ECID' } }] },
    {
      type: 'state:store',
      payload: [
        {
          key: edgeCookieName(datastream.imsOrgId, 'identity'),
          value: encodeIdentityCookie(ecid),
          maxAge: IDENTITY_MAX_AGE_SECONDS,
          ...cookieAttributes(origin),
        },
      ],
    },
  ];
}

/** `set-consent`: the consent cookie the SDK reads back, `purpose=value;…` (`general=in`). */
export function consentHandle(purposes: ReadonlyMap<string, string>, datastream: Datastream, origin: string | undefined): Handle {
  const value = [...purposes].map(([purpose, choice]) => `${purpose}=${choice}`).join(';');
  return {
    type: 'state:store',
    payload: [{ key: edgeCookieName(datastream.imsOrgId, 'consent'), value, maxAge: 15_552_000, ...cookieAttributes(origin) }],
  };
}

/** Who decided: one of the client's activities, or the rules of an imported artifact (`adobe:` ids). */
function deciderOf(answer: VisitAnswer): { activityId: string; experienceId: string } | undefined {
  if (answer.decision) return { activityId: answer.decision.activityId, experienceId: answer.decision.experienceId };
  const match = answer.matched?.[0];
  return match ? { activityId: match.activityId, experienceId: match.experienceId ?? '0' } : undefined;
}

function itemsOf(answer: VisitAnswer, idBase: string): Item[] {
  const items: Item[] = [];
  answer.options.forEach((option, position) => {
    const id = `${idBase}.${position}`;
    const { type, content } = option as { type?: string; content?: unknown };
    if (type === 'html') items.push({ id, schema: SCHEMA.html, data: { id, format: 'text/html', content } });
    else if (type === 'json') items.push({ id, schema: SCHEMA.json, data: { id, format: 'application/json', content } });
    else if (type === 'redirect') items.push({ id, schema: SCHEMA.redirect, data: { id, format: 'text/uri-list', content } });
    else if (type === 'actions' && Array.isArray(content)) {
      content.forEach((action, step) => {
        if (!isObject(action) || typeof action.type !== 'string') return;
        const actionId = `${id}.${step}`;
        const selector = typeof action.selector === 'string' ? action.selector : undefined;
        const data: Record<string, unknown> = { id: actionId, type: action.type, format: 'application/vnd.adobe.target.dom-action' };
        if (action.content !== undefined) data.content = action.content;
        if (selector !== undefined) data.selector = selector;
        const prehiding = typeof action.cssSelector === 'string' ? action.cssSelector : selector;
        if (prehiding !== undefined) data.prehidingSelector = prehiding;
        items.push({ id: actionId, schema: SCHEMA.domAction, data });
      });
    }
  });
  return items;
}

/** A decided location as a proposition of its scope; undefined when nothing was decided for it. */
export function propositionOf(answer: VisitAnswer, location: EdgeLocation): Proposition | undefined {
  const decider = deciderOf(answer);
  if (!decider || answer.options.length === 0) return undefined;
  const { activityId, experienceId } = decider;
  const view = location.kind === 'view';
  const scope = view ? answer.location.slice('view:'.length) : location.scope;
  const items = itemsOf(answer, `${activityId}.${experienceId}.${answer.location}`);
  if (items.length === 0) return undefined;
  const characteristics: Proposition['scopeDetails']['characteristics'] = {};
  const eventToken = answer.options.find((option) => typeof option.eventToken === 'string')?.eventToken;
  if (eventToken !== undefined) characteristics.eventToken = eventToken;
  const clickToken = answer.metrics?.find((metric) => metric.type === 'click' && typeof metric.eventToken === 'string')?.eventToken;
  if (clickToken !== undefined) characteristics.clickToken = clickToken;
  if (view) characteristics.scopeType = 'view';
  return {
    id: `AT:${Buffer.from(JSON.stringify({ activityId, experienceId })).toString('base64')}`,
    scope,
    scopeDetails: {
      decisionProvider: 'TGT',
      activity: { id: activityId },
      experience: { id: experienceId },
      strategies: [{ algorithmID: '0', trafficType: '0' }],
      characteristics,
      correlationID: `${activityId}:${experienceId}:0`,
    },
    items,
  };
}

/** One `personalization:decisions` handle per event that asked, with the propositions that have content. */
export function decisionHandles(
  answers: readonly VisitAnswer[],
  locations: ReadonlyMap<unknown, EdgeLocation>,
  personalizedEvents: readonly number[],
): Handle[] {
  const byEvent = new Map<number, Proposition[]>(personalizedEvents.map((index) => [index, []]));
  for (const answer of answers) {
    const location = locations.get(answer.request);
    if (!location) continue;
    const proposition = propositionOf(answer, location);
    if (proposition) byEvent.get(location.eventIndex)?.push(proposition);
  }
  return [...byEvent].map(([eventIndex, payload]) => ({ type: 'personalization:decisions', eventIndex, payload }));
}
