import { type AttributeMap, SCRIPT_NAMESPACE } from '../../domain/attributes.js';
import { applyScriptOutput, type ScriptOutput, scriptOutputProblem } from '../../domain/script-writes.js';
import type { VisitFacts } from '../../domain/sessions.js';
import { GLOBAL_MBOX } from '../decisioning/activity.js';
import { type Address, browserContext, type DeliveryContext } from '../decisioning/context.js';
import type { ClientSandbox, CompiledScript, HostValue, ScriptFailure } from './sandbox/client-sandbox.js';
import { HOST_OP, URL_PART } from './sandbox/prelude.js';

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
  /** What its source can read (`readsOfSource`); absent: everything. */
  readonly reads?: ScriptReads;
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

/** Above this many characters of profile attributes, `profile.get` asks the host instead of the sandbox holding them all. */
const PROFILE_DATA_LIMIT = 16 * 1024;
const LOCAL_MARK = '.local.';

/**
 * What a request's scripts may read, passed into the sandbox once as JSON (tables keyed by `$` and
 * the name, prelude.ts): `s` the scripts' names (by position), `u` the readable `user.` values, `l`
 * the scripts' locals, `p` the profile attributes the scripts can read (null: too many, asked per
 * name), `f` the session facts (prelude.ts FACTS), `m` each location's name and parameters.
 */
function requestData(
  scripts: readonly RunnableScript[],
  request: ScriptRequest,
  locations: readonly ScriptLocation[],
  attributes: AttributeMap,
): string {
  const { names, namesJson, profile: profileReads, user: userReads, urls, browserType } = readsOf(scripts);
  const u: Record<string, string> = {};
  const l: Record<string, Record<string, string>> = {};
  let p: Record<string, string> | null = {};
  let size = 0;
  for (const [name, { value }] of attributes) {
    if (name.startsWith(SCRIPT_NAMESPACE)) {
      const rest = name.slice(SCRIPT_NAMESPACE.length);
      const dot = rest.indexOf('.');
      if (dot < 0) {
        if (userReads === 'all' || userReads.has(rest)) u[`$${rest}`] = value;
      } else if (rest.startsWith(LOCAL_MARK, dot) && names.has(rest.slice(0, dot))) {
        const script = `$${rest.slice(0, dot)}`;
        let held = l[script];
        if (!held) {
          held = {};
          l[script] = held;
        }
        held[`$${rest.slice(dot + LOCAL_MARK.length)}`] = value;
      }
    } else if (p !== null && (profileReads === 'all' || profileReads.has(name))) {
      size += name.length + value.length;
      if (size > PROFILE_DATA_LIMIT) p = null;
      else p[`$${name}`] = value;
    }
  }
  const f = [
    request.facts.isFirstSession,
    request.facts.isNewSession,
    request.facts.daysSinceLastVisit,
    request.facts.sessionCount,
    request.tntId,
    request.sessionId,
    request.context.userAgent ?? '',
  ];
  const m = locations.map((location) => {
    const name = location.kind === 'pageLoad' ? GLOBAL_MBOX : (location.name ?? null);
    let parameters: Record<string, string | null> | null = null;
    if (location.parameters) {
      parameters = {};
      for (const [key, value] of Object.entries(location.parameters)) parameters[`$${key}`] = text(value);
    }
    if (!urls || location.address === undefined) return [name, parameters];
    return [name, parameters, urlData(location.address?.url), urlData(location.address?.referringUrl)];
  });
  const address = request.context.address;
  // The landing url is the page's (the prelude reads `w[0]` for both).
  const w = urls ? [urlData(address?.url), urlData(address?.referringUrl)] : null;
  const b = browserType ? String(browserContext(request.context.userAgent ?? '', request.context.clientHints).browserType) : null;
  return `{"s":${namesJson},${JSON.stringify({ u, l, p, f, m, w, b }).slice(1)}`;
}

/** `profile.get('x')` and `profile.param('x')` with a literal name. */
const LITERAL_PROFILE_READ = /\bprofile\s*\.\s*(?:get|param)\s*\(\s*(?:'([^'\\\n]*)'|"([^"\\\n]*)")\s*\)/g;
const PROFILE_WORD = /\bprofile\b/g;
const SESSION_COUNT_READ = /\bprofile\s*\.\s*sessionCount\b/g;

/**
 * The profile attributes a script can read, when its source shows them: every use of `profile`
 * is `profile.get('<literal>')`, `profile.param('<literal>')` or `profile.sessionCount`. Anything
 * else (a computed name, `profile` passed around, the word in a string) answers 'all'.
 */
export function profileNamesOf(source: string): ReadonlySet<string> | 'all' {
  const names = new Set<string>();
  const literal = addLiteralNames(source, LITERAL_PROFILE_READ, names);
  const uses = (source.match(PROFILE_WORD) ?? []).length - (source.match(SESSION_COUNT_READ) ?? []).length;
  return uses === literal ? names : 'all';
}

/** Adds the names `pattern` (a literal in single or double quotes, groups 1 and 2) finds in `source`; answers how many reads it found. */
function addLiteralNames(source: string, pattern: RegExp, names: Set<string>): number {
  let found = 0;
  for (const match of source.matchAll(pattern)) {
    names.add(match[1] ?? match[2] ?? '');
    found++;
  }
  return found;
}

/** `user.get('x')` with a literal name. */
const LITERAL_USER_READ = /\buser\s*\.\s*get\s*\(\s*(?:'([^'\\\n]*)'|"([^"\\\n]*)")\s*\)/g;
const USER_WORD = /\buser\b/g;
/** The members of `user` that read no `user.` value by name (or one this list names). */
const USER_MEMBER =
  /\buser\s*\.\s*(getLocal|setLocal|header|isFirstSession|isNewSession|daysSinceLastVisit|pcId|sessionId|browser|browserType|activeActivities|activeCampaigns|categoryAffinity|categoryAffinities)\b/g;

/**
 * The `user.<name>` values a script can read, when its source shows them: every use of `user` is
 * `user.get('<literal>')` or one of its other members (`user.categoryAffinity` and
 * `user.categoryAffinities` read the values of those names). Anything else answers 'all'.
 */
export function userNamesOf(source: string): ReadonlySet<string> | 'all' {
  const names = new Set<string>();
  let known = addLiteralNames(source, LITERAL_USER_READ, names);
  for (const match of source.matchAll(USER_MEMBER)) {
    if (match[1] === 'categoryAffinity' || match[1] === 'categoryAffinities') names.add(match[1]);
    known++;
  }
  return (source.match(USER_WORD) ?? []).length === known ? names : 'all';
}

/** What a script's source can read beyond the always-passed parts of the request. */
export interface ScriptReads {
  /** Profile attributes (`profileNamesOf`). */
  profile: ReadonlySet<string> | 'all';
  /** `user.` values by name (`userNamesOf`). */
  user: ReadonlySet<string> | 'all';
  /** Whether it names `page`, `referrer` or `landing`: the urls' parts are then handed over. */
  urls: boolean;
  /** Whether it names `browserType`. */
  browserType: boolean;
}

/** What `source` can read, from its text (a mention in a string or comment counts: harmless). */
export function readsOfSource(source: string): ScriptReads {
  return {
    profile: profileNamesOf(source),
    user: userNamesOf(source),
    urls: /\b(?:page|referrer|landing)\b/.test(source),
    browserType: /\bbrowserType\b/.test(source),
  };
}

const ALL_READS: ScriptReads = Object.freeze({ profile: 'all', user: 'all', urls: true, browserType: true });

/** What any of a set of scripts can read, with their names (as a set, and as the JSON list handed over). */
interface SetReads extends ScriptReads {
  names: ReadonlySet<string>;
  namesJson: string;
}
const readsOfSets = new WeakMap<readonly RunnableScript[], SetReads>();

/** What any of `scripts` can read; computed once per set of scripts. */
function readsOf(scripts: readonly RunnableScript[]): SetReads {
  let reads = readsOfSets.get(scripts);
  if (reads === undefined) {
    let profile: Set<string> | 'all' = new Set<string>();
    let user: Set<string> | 'all' = new Set<string>();
    let urls = false;
    let browserType = false;
    for (const script of scripts) {
      const own = script.reads ?? ALL_READS;
      urls ||= own.urls;
      browserType ||= own.browserType;
      profile = unionOf(profile, own.profile);
      user = unionOf(user, own.user);
    }
    const names = scripts.map((script) => script.name);
    reads = { profile, user, urls, browserType, names: new Set(names), namesJson: JSON.stringify(names) };
    readsOfSets.set(scripts, reads);
  }
  return reads;
}

/** `into` with `more` added (in place), or 'all'. */
function unionOf(into: Set<string> | 'all', more: ReadonlySet<string> | 'all'): Set<string> | 'all' {
  if (into === 'all' || more === 'all') return 'all';
  for (const name of more) into.add(name);
  return into;
}

/** `[url, protocol, domain, query, params]` of a url, as the prelude reads them. */
function urlData(url: unknown): [string, string, string, string, Record<string, string>] {
  const parts = parseUrl(url);
  const params: Record<string, string> = {};
  parts.params?.forEach((value, key) => {
    if (!Object.hasOwn(params, `$${key}`)) params[`$${key}`] = value;
  });
  return [parts.url, parts.protocol, parts.domain, parts.query, params];
}

/**
 * Runs `scripts` over `locations` for one request. `attributes` is the visit's profile after the
 * request's own writes; it is copied, never modified.
 */
export function runScripts(
  sandbox: ClientSandbox,
  scripts: readonly RunnableScript[],
  request: ScriptRequest,
  given: readonly ScriptLocation[],
  attributes: AttributeMap,
): ScriptRunsResult {
  const locations: readonly ScriptLocation[] = given.length > 0 ? given : [{ kind: 'pageLoad' }];
  const failures: RunFailure[] = [];
  let browser: Readonly<Record<string, unknown>> | undefined;
  const urls: Array<UrlParts | undefined> = [];
  let location: ScriptLocation = locations[0]!;

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

  const host = (op: number, a: HostValue, b: HostValue): HostValue => {
    switch (op) {
      case HOST_OP.header: {
        const value = request.headers?.[String(a).toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      }
      case HOST_OP.profileGet: {
        const name = String(a);
        return name.startsWith(SCRIPT_NAMESPACE) ? null : (attributes.get(name)?.value ?? null);
      }
      case HOST_OP.browserType:
        browser ??= browserContext(request.context.userAgent ?? '', request.context.clientHints);
        return String(browser.browserType);
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
      case HOST_OP.urlParam:
        return urlOf(Number(a)).params?.get(String(b)) ?? null;
      default:
        return null;
    }
  };

  const failed = new Set<string>();
  let outputs: [Array<string | null>, Array<Array<[string, string]> | null>];
  try {
    sandbox.begin(requestData(scripts, request, locations, attributes), host);
    try {
      locations.forEach((next, at) => {
        location = next;
        scripts.forEach((script, index) => {
          if (script.failed) return;
          const outcome = sandbox.run(script.compiled, index, at);
          if (outcome.ok) return;
          script.failed = true;
          failed.add(script.name);
          failures.push({ name: script.name, version: script.version, ...outcome.failure });
        });
      });
    } finally {
      outputs = JSON.parse(sandbox.finish());
    }
  } catch {
    // The sandbox itself could not take or give back the request (its heap full): the call goes on
    // without this request's script writes; the scripts are not to blame.
    return { attributes, failures, values: new Map() };
  }

  // Every output through the domain's write rule, in the visit's working copy.
  const working: AttributeMap = new Map(attributes);
  const values = new Map<string, string | null>();
  const [outValues, outLocals] = outputs;
  scripts.forEach((script, index) => {
    const value = outValues[index] ?? null;
    const locals = outLocals[index] ?? null;
    if ((value === null && locals === null) || failed.has(script.name)) return;
    const written: ScriptOutput = { name: script.name, value, locals: new Map(locals ?? []) };
    const problem = scriptOutputProblem(written, working);
    if (problem) {
      script.failed = true;
      failures.push({ name: script.name, version: script.version, reason: 'tooLong', message: problem });
      return;
    }
    values.set(script.name, value);
    applyScriptOutput(working, written, request.now);
  });
  return { attributes: working, failures, values };
}
