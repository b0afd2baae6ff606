import { decodeIdentityCookie } from '../../src/wire/edge-identity.js';
import type { TestServer } from './server.js';

/** What a Web SDK call answered: status, content type, parsed body (when JSON). */
export interface EdgeReply {
  status: number;
  type: string;
  headers: Headers;
  body: EdgeBody | undefined;
  text: string;
}

export interface EdgeHandle {
  type: string;
  eventIndex?: number;
  payload: Array<Record<string, unknown>>;
}

export interface EdgeBody {
  requestId?: string;
  handle?: EdgeHandle[];
  type?: string;
  status?: number;
  title?: string;
  detail?: string;
}

/** POSTs a Web SDK call as the SDK sends it: JSON as text/plain. */
export async function edgeCall(
  server: TestServer,
  pathAndQuery: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<EdgeReply> {
  const response = await server.fetch(pathAndQuery, {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=UTF-8', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    type,
    headers: response.headers,
    body: text && type.includes('json') ? JSON.parse(text) : undefined,
    text,
  };
}

export function handleOf(reply: EdgeReply, type: string): EdgeHandle | undefined {
  return reply.body?.handle?.find((handle) => handle.type === type);
}

/** The ECID of an answer's `identity:result`. */
export function ecidOf(reply: EdgeReply): string {
  return String(handleOf(reply, 'identity:result')?.payload[0]?.id);
}

/** The identity cookie of an answer's `state:store`, as the SDK writes it and sends it back in `meta.state.entries`. */
export function identityEntryOf(reply: EdgeReply): { key: string; value: string } {
  const stored = handleOf(reply, 'state:store')!.payload.find((entry) => String(entry.key).endsWith('_identity'))!;
  if (decodeIdentityCookie(String(stored.value)) === undefined) throw new Error('state:store holds no identity');
  return { key: String(stored.key), value: String(stored.value) };
}

// biome-ignore lint/suspicious/noExplicitAny: propositions are asserted field by field
export type Json = Record<string, any>;

/** The propositions of the first `personalization:decisions` handle. */
export function propositionsOf(reply: EdgeReply): Json[] {
  return (handleOf(reply, 'personalization:decisions')?.payload ?? []) as Json[];
}

/** A page-view event as the Web SDK sends it. */
export function pageView(
  options: { scopes?: string[]; target?: Record<string, unknown>; crm?: string; timestamp?: string; url?: string } = {},
): Record<string, unknown> {
  const event: Record<string, unknown> = {
    xdm: {
      eventType: 'web.webpagedetails.pageViews',
      timestamp: options.timestamp ?? new Date().toISOString(),
      web: { webPageDetails: { URL: options.url ?? 'https://page.test/page.html', name: 'home' }, webReferrer: { URL: '' } },
      ...(options.crm ? { identityMap: { CRM: [{ id: options.crm, authenticatedState: 'authenticated' }] } } : {}),
    },
  };
  if (options.target) event.data = { __adobe: { target: options.target } };
  if (options.scopes) event.query = { personalization: { decisionScopes: options.scopes } };
  return event;
}

/** The display (or click) event the Web SDK sends for propositions it was served. */
export function propositionEvent(propositions: Json[], kind: 'display' | 'interact', timestamp: string): Record<string, unknown> {
  return {
    xdm: {
      eventType: kind === 'display' ? 'decisioning.propositionDisplay' : 'decisioning.propositionInteract',
      timestamp,
      _experience: {
        decisioning: {
          propositionEventType: { [kind]: 1 },
          propositions: propositions.map(({ id, scope, scopeDetails }) => ({ id, scope, scopeDetails })),
        },
      },
    },
  };
}
