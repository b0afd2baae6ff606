import { createRequire } from 'node:module';

/**
 * Adobe's Node.js SDK behind a loopback guard (docs/wire-contract.md#16-known-clients). The SDK
 * captures `global.fetch` when it is loaded, so the guard is installed first and the SDK is
 * required afterwards: any attempt to reach a host other than 127.0.0.1/localhost (e.g. the
 * `mboxedgeNN.tt.omtrdc.net` reroute that a location hint causes,
 * docs/wire-contract.md#22-minting-a-tntid) is recorded in `leaks` and refused, never sent —
 * unless a test answers that URL in-process (`answerExternal`, e.g. Adobe's geo lookup). Tests can
 * watch every loopback request the SDK makes (`observeFetches`: the artifact download, the
 * notifications it posts back).
 */
export const leaks: string[] = [];

/** An in-process answer for one external URL (origin and path; any query), instead of a leak. */
export type ExternalAnswer = (url: URL, init?: RequestInit) => Response | Promise<Response>;
const externalAnswers = new Map<string, ExternalAnswer>();

/**
 * Answers requests to `url` (its origin and path) in-process, e.g. the engine's geo lookup from a
 * fixture's `mockGeo`; every other external attempt is still a leak. Returns the undo.
 */
export function answerExternal(url: string, answer: ExternalAnswer): () => void {
  const { origin, pathname } = new URL(url);
  const key = origin + pathname;
  externalAnswers.set(key, answer);
  return () => {
    if (externalAnswers.get(key) === answer) externalAnswers.delete(key);
  };
}

/** A loopback request the guard let through: its parsed JSON body, and its status once answered. */
export interface SeenFetch {
  url: URL;
  method: string;
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are asserted field by field
  body: any;
  status?: number;
}
const observers = new Set<(seen: SeenFetch) => void>();

/** Calls `listener` with every loopback request (the SDK's delivery calls included). Returns the undo. */
export function observeFetches(listener: (seen: SeenFetch) => void): () => void {
  observers.add(listener);
  return () => observers.delete(listener);
}

function urlOf(input: string | URL | Request): URL {
  if (typeof input === 'string') return new URL(input);
  return input instanceof URL ? input : new URL(input.url);
}

function parsedBody(body: unknown): unknown {
  if (typeof body !== 'string') return body ?? null;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

const unguarded = globalThis.fetch;
globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
  const url = urlOf(input);
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
    const answer = externalAnswers.get(url.origin + url.pathname);
    if (answer) return answer(url, init);
    leaks.push(url.href);
    throw new TypeError(`loopback guard: refused ${url.href}`);
  }
  if (observers.size === 0) return unguarded(input, init);
  const seen: SeenFetch = { url, method: init?.method ?? (input instanceof Request ? input.method : 'GET'), body: parsedBody(init?.body) };
  for (const observer of observers) observer(seen);
  const response = await unguarded(input, init);
  seen.status = response.status;
  return response;
}) as typeof fetch;

// Loaded only now, after the guard: a static import would be hoisted above it.
// biome-ignore lint/suspicious/noExplicitAny: the SDK ships no types
const TargetClient: any = createRequire(import.meta.url)('@adobe/target-nodejs-sdk');

/** The slice of the SDK's result the tests read. */
export interface OffersResult {
  // biome-ignore lint/suspicious/noExplicitAny: the JSON answer is asserted field by field
  response: any;
  targetCookie?: { name: string; value: string; maxAge: number };
  targetLocationHintCookie?: unknown;
  meta: { decisioningMethod: string };
}

export interface SdkClient {
  getOffers(options: Record<string, unknown>): Promise<OffersResult>;
  sendNotifications(options: Record<string, unknown>): Promise<OffersResult>;
  getAttributes(
    mboxes: string[],
    options?: Record<string, unknown>,
  ): Promise<{
    getValue(mbox: string, key: string): unknown;
    asObject(mbox?: string): Record<string, unknown>;
    getResponse(): OffersResult;
  }>;
}

export const AuthState = TargetClient.AuthState as { AUTHENTICATED: number; UNKNOWN: number; LOGGED_OUT: number };

/** A server-side SDK client pointed at our server, resolved once it reports `clientReady`. */
export interface SdkOptions {
  /** The SDK's client code; `demo` by default. */
  client?: string;
  /** `server-side` (default), `on-device` or `hybrid`. */
  decisioningMethod?: 'server-side' | 'on-device' | 'hybrid';
  /** The rules artifact's URL (on-device and hybrid). */
  artifactLocation?: string;
  /** More of the SDK's options (`telemetryEnabled`, `pollingInterval` …), given last. */
  config?: Record<string, unknown>;
}

export function createSdkClient(serverUrl: string, organizationId: string, options: SdkOptions = {}): Promise<SdkClient> {
  const serverDomain = new URL(serverUrl).host;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('SDK never reported clientReady')), 5000);
    const client: SdkClient = TargetClient.create({
      client: options.client ?? 'demo',
      organizationId,
      serverDomain,
      secure: false,
      timeout: 3000,
      logger: { debug() {}, error() {} },
      ...(options.decisioningMethod ? { decisioningMethod: options.decisioningMethod, pollingInterval: 0 } : {}),
      ...(options.artifactLocation ? { artifactLocation: options.artifactLocation } : {}),
      ...options.config,
      events: {
        clientReady: () => {
          clearTimeout(timer);
          resolve(client);
        },
      },
    });
  });
}
