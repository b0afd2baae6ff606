import { createRequire } from 'node:module';

/**
 * Adobe's on-device decisioning engine (`@adobe/target-decisioning-engine` 1.9.3, its published
 * bundle), used as the oracle of the decisioning tests: the same artifact and the same request
 * must give the same answer as profile-edge's own modules.
 *
 * The engine never reaches the network here: artifacts are passed in (`artifactPayload`),
 * `geoTargetingEnabled` is false in every artifact these tests build, telemetry is off, and
 * `global.fetch` refuses every call (recorded in `networkAttempts`) before the engine is loaded.
 */
export const networkAttempts: string[] = [];

const unguardedFetch = globalThis.fetch;
globalThis.fetch = (async (input: string | URL | Request) => {
  networkAttempts.push(String(input instanceof Request ? input.url : input));
  throw new TypeError('decisioning tests: the network is off');
}) as typeof fetch;
export const restoreFetch = (): void => {
  globalThis.fetch = unguardedFetch;
};

// Loaded only now, after the guard: a static import would be hoisted above it.
// biome-ignore lint/suspicious/noExplicitAny: the engine ships no usable types
const TargetDecisioningEngine: any = createRequire(import.meta.url)('@adobe/target-decisioning-engine');
// The domain parser Adobe's Node.js SDK hands the engine (`parseDomainImpl`): public suffix list.
const { parseDomainPsl } = createRequire(import.meta.url)('@adobe/target-tools') as {
  parseDomainPsl: (host: string) => Record<string, string>;
};

// biome-ignore lint/suspicious/noExplicitAny: artifacts and answers are JSON, asserted field by field
export type Json = any;

export interface EngineRule {
  ruleKey?: string;
  activityId?: number | string;
  condition: Json;
  consequence: { name: string; options: Json[]; metrics?: Json[] };
  meta: Record<string, Json>;
}

/** A 1.x artifact holding the given rules, decidable on the device, no geo lookups. */
export function artifactOf(
  client: string,
  rules: { mboxes?: Record<string, EngineRule[]>; views?: Record<string, EngineRule[]> },
  responseTokens: string[] = [],
): Json {
  const mboxes = rules.mboxes ?? {};
  const views = rules.views ?? {};
  return {
    version: '1.0.0',
    meta: { clientCode: client, environment: 'production' },
    globalMbox: 'target-global-mbox',
    geoTargetingEnabled: false,
    responseTokens,
    remoteMboxes: [],
    remoteViews: [],
    localMboxes: Object.keys(mboxes),
    localViews: Object.keys(views),
    rules: { mboxes, views },
  };
}

export interface Engine {
  /** The engine's DeliveryResponse for a Delivery API request. */
  getOffers(request: Json): Promise<Json>;
}

export interface EngineOptions {
  /** `psl` is what Adobe's Node.js SDK passes; `basic` is the engine's own default. */
  domainParser?: 'basic' | 'psl';
}

export async function createEngine(client: string, artifact: Json, options: EngineOptions = {}): Promise<Engine> {
  const noop = () => undefined;
  const config: Record<string, unknown> = {
    client,
    organizationId: 'ORG@AdobeOrg',
    artifactPayload: artifact,
    pollingInterval: 0,
    telemetryEnabled: false,
    sendNotificationFunc: () => Promise.resolve(),
  };
  if (options.domainParser === 'psl') config.parseDomainImpl = parseDomainPsl;
  const engine = await TargetDecisioningEngine(config, { addArtifactRequestEntry: noop });
  return {
    getOffers: (request: Json) => engine.getOffers({ request, sessionId: 'session-1' }),
  };
}

/**
 * Runs `fn` with `new Date()` and `Date.now()` answering `epochMs`, as the engine reads the clock
 * for `current_timestamp`, `current_day` and `current_time`. Dates built from arguments are real.
 */
export async function atFixedTime<T>(epochMs: number, fn: () => Promise<T>): Promise<T> {
  const RealDate = Date;
  class FixedDate extends RealDate {
    // biome-ignore lint/suspicious/noExplicitAny: mirrors the Date constructor's overloads
    constructor(...args: any[]) {
      if (args.length === 0) super(epochMs);
      // @ts-expect-error spreading the overloaded constructor's arguments
      else super(...args);
    }
    static override now(): number {
      return epochMs;
    }
  }
  globalThis.Date = FixedDate as DateConstructor;
  try {
    return await fn();
  } finally {
    globalThis.Date = RealDate;
  }
}

/**
 * The decision context the engine evaluated for each activity of a request (from its trace, which
 * records each activity's context the first time one of its rules is evaluated), by activity id.
 * JSON-normalised, as the trace is: undefined values are absent.
 */
export function tracedContexts(response: Json): Map<string, Json> {
  const contexts = new Map<string, Json>();
  const visit = (trace: Json) => {
    for (const target of trace?.evaluatedCampaignTargets ?? []) {
      if (!contexts.has(String(target.campaignId))) contexts.set(String(target.campaignId), target.context);
    }
  };
  for (const mode of ['execute', 'prefetch'] as const) {
    const part = response[mode];
    if (!part) continue;
    for (const mbox of part.mboxes ?? []) visit(mbox.trace);
    for (const view of part.views ?? []) visit(view.trace);
    for (const option of part.views?.flatMap((view: Json) => view.options ?? []) ?? []) visit(option.trace);
    visit(part.pageLoad?.trace);
  }
  return contexts;
}

/**
 * Generated cases an oracle test runs: all of them in the full lane (`npm test`), a fifth in the
 * quick development lane (`npm run test:quick`), which must stay under a minute.
 */
export function oracleRuns(full: number): number {
  return process.env.TEST_LANE === 'quick' ? Math.ceil(full / 5) : full;
}
