import type { AttributeMap } from '../../domain/attributes.js';
import { AFFINITIES_ATTRIBUTE, AFFINITY_ATTRIBUTE } from '../../domain/category-affinity.js';
import {
  applyScriptOutput,
  localAttribute,
  readableUserName,
  type ScriptOutput,
  scriptAttribute,
  scriptOutputProblem,
} from '../../domain/script-writes.js';
import type { VisitFacts } from '../../domain/sessions.js';
import { GLOBAL_MBOX } from '../decisioning/activity.js';
import { type Address, browserContext, type DeliveryContext } from '../decisioning/context.js';
import type { ClientSandbox, CompiledScript, HostValue, ScriptFailure } from './sandbox/client-sandbox.js';
import { FACT, HOST_OP, URL_PART } from './sandbox/prelude.js';

/**
 * One request's runs of a client's scripts (docs/profile-scripts.md#when-scripts-run): every active
 * script once per location, pageLoad first then the mboxes in order, each seeing what the runs
 * before it wrote. The request is handed to the sandbox once, as the host its objects answer from
 * (nothing is copied into the sandbox), and each run's output goes through the domain's write rule
 * (script-writes.ts) into the visit's working copy of the profile.
 */

/** What a script sees of the request: set once per request. */
export interface ScriptRequest {
  tntId: string;
  sessionId: string;
  facts: VisitFacts;
  context: DeliveryContext;
  /** The HTTP request's headers, for `user.header()`; none for a trial run. */
  headers?: Readonly<Record<string, string | string[] | undefined>>;
  now: number;
}

/** A location of the request, as `mbox.*` (and its own address, `page.*`) reads it. */
export interface ScriptLocation {
  kind: string;
  name?: string;
  parameters?: Readonly<Record<string, unknown>>;
  /** When present (even null), the location's own address replaces the request's for `page` and `referrer`. */
  address?: Address | null;
}

/** A script ready to run: what it is, and its compiled function in the client's sandbox. */
export interface RunnableScript {
  readonly name: string;
  readonly version: number;
  readonly compiled: CompiledScript;
  /** Set in this process at its first failure, before the store hears of it: it does not run again. */
  failed: boolean;
}

export interface RunFailure extends ScriptFailure {
  name: string;
  version: number;
}

export interface ScriptRunsResult {
  /** The working copy, with every successful run's writes. */
  attributes: AttributeMap;
  failures: RunFailure[];
  /** The last value each script returned, by name (trial runs show it). */
  values: Map<string, string | null>;
}

interface UrlParts {
  url: string;
  protocol: string;
  domain: string;
  query: string;
  params: URLSearchParams | null;
}

const NO_URL: UrlParts = Object.freeze({ url: '', protocol: '', domain: '', query: '', params: null });

function parseUrl(url: unknown): UrlParts {
  if (typeof url !== 'string' || url === '') return NO_URL;
  try {
    const parsed = new URL(url);
    return {
      url,
      protocol: parsed.protocol.replace(/:$/, ''),
      domain: parsed.hostname,
      query: parsed.search.replace(/^\?/, ''),
      params: parsed.searchParams,
    };
  } catch {
    return { ...NO_URL, url };
  }
}

const text = (value: unknown): string | null =>
  value === undefined || value === null ? null : typeof value === 'object' ? JSON.stringify(value) : String(value);

/**
 * Runs `scripts` over `locations` for one request. `attributes` is the visit's profile after the
 * request's own writes; it is copied, never modified.
 */
export function runScripts(
  sandbox: ClientSandbox,
  scripts: readonly RunnableScript[],
  request: ScriptRequest,
  locations: readonly ScriptLocation[],
  attributes: AttributeMap,
): ScriptRunsResult {
  const working: AttributeMap = new Map(attributes);
  const failures: RunFailure[] = [];
  const values = new Map<string, string | null>();
  let browser: Readonly<Record<string, unknown>> | undefined;
  const urls: Array<UrlParts | undefined> = [];
  let location: ScriptLocation = { kind: 'pageLoad' };
  let script: RunnableScript = scripts[0]!;
  let locals = new Map<string, string>();

  const urlOf = (which: number): UrlParts => {
    const own = location.address;
    if (which === 0 && own !== undefined) return parseUrl(own?.url);
    if (which === 1 && own !== undefined) return parseUrl(own?.referringUrl);
    let parts = urls[which];
    if (!parts) {
      const address = request.context.address;
      parts = parseUrl(which === 1 ? address?.referringUrl : address?.url);
      urls[which] = parts;
    }
    return parts;
  };

  const fact = (which: number): HostValue => {
    switch (which) {
      case FACT.categoryAffinity:
        return working.get(AFFINITY_ATTRIBUTE)?.value ?? null;
      case FACT.categoryAffinities:
        return working.get(AFFINITIES_ATTRIBUTE)?.value ?? '';
      case FACT.isFirstSession:
        return request.facts.isFirstSession;
      case FACT.isNewSession:
        return request.facts.isNewSession;
      case FACT.daysSinceLastVisit:
        return request.facts.daysSinceLastVisit;
      case FACT.pcId:
        return request.tntId;
      case FACT.sessionId:
        return request.sessionId;
      case FACT.browser:
        return request.context.userAgent ?? '';
      case FACT.browserType:
        browser ??= browserContext(request.context.userAgent ?? '', request.context.clientHints);
        return String(browser.browserType);
      case FACT.activeActivities:
        return '';
      case FACT.sessionCount:
        return request.facts.sessionCount;
      default:
        return null;
    }
  };

  const host = (op: number, a: HostValue, b: HostValue): HostValue => {
    switch (op) {
      case HOST_OP.userGet: {
        const name = String(a);
        return readableUserName(name) ? (working.get(scriptAttribute(name))?.value ?? null) : null;
      }
      case HOST_OP.getLocal: {
        const key = String(a);
        return locals.get(key) ?? working.get(localAttribute(script.name, key))?.value ?? null;
      }
      case HOST_OP.setLocal:
        if (typeof b === 'string') locals.set(String(a), b);
        return undefined;
      case HOST_OP.header: {
        const value = request.headers?.[String(a).toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      }
      case HOST_OP.profileGet: {
        const name = String(a);
        return name.startsWith('user.') ? null : (working.get(name)?.value ?? null);
      }
      case HOST_OP.mboxName:
        return location.kind === 'pageLoad' ? GLOBAL_MBOX : (location.name ?? null);
      case HOST_OP.mboxParam: {
        const parameters = location.parameters;
        const name = String(a);
        return parameters && Object.hasOwn(parameters, name) ? text(parameters[name]) : null;
      }
      case HOST_OP.fact:
        return fact(Number(a));
      case HOST_OP.url: {
        const code = Number(a);
        const parts = urlOf(Math.floor(code / 8));
        const part = code % 8;
        return part === URL_PART.url
          ? parts.url
          : part === URL_PART.protocol
            ? parts.protocol
            : part === URL_PART.domain
              ? parts.domain
              : parts.query;
      }
      case HOST_OP.urlParam: {
        const which = Number(a);
        return urlOf(which === 1 ? 1 : which === 2 ? 2 : 0).params?.get(String(b)) ?? null;
      }
      default:
        return null;
    }
  };

  for (const next of locations.length > 0 ? locations : [{ kind: 'pageLoad' }]) {
    location = next;
    for (const candidate of scripts) {
      if (candidate.failed) continue;
      script = candidate;
      locals = new Map();
      const outcome = sandbox.run(candidate.compiled, host);
      if (!outcome.ok) {
        candidate.failed = true;
        failures.push({ name: candidate.name, version: candidate.version, ...outcome.failure });
        continue;
      }
      const output: ScriptOutput = { name: candidate.name, value: outcome.value, locals };
      const problem = scriptOutputProblem(output, working);
      if (problem) {
        candidate.failed = true;
        failures.push({ name: candidate.name, version: candidate.version, reason: 'tooLong', message: problem });
        continue;
      }
      values.set(candidate.name, outcome.value ?? null);
      applyScriptOutput(working, output, request.now);
    }
  }
  return { attributes: working, failures, values };
}
