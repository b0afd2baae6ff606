import psl from 'psl';
import type { VisitFacts } from '../../domain/sessions.js';

/**
 * The decision context conditions are evaluated over: the object Adobe's on-device decisioning
 * engine builds from a Delivery API request (`user`, `page`, `referring`, `mbox`, `geo`,
 * `current_timestamp`, `current_day`, `current_time`), with the same shapes for the same inputs, plus
 * what only the server knows: `profile` (the visitor's attributes after this request's writes, and
 * the session facts) and the profile-script outputs under `user`.
 *
 * The engine's derivations are reproduced rule for rule, quirks included, because an activity must
 * decide the same on the server and in Adobe's SDK:
 * - `user.browserType`, `user.browserVersion` and `user.platform` come from a short list of
 *   user-agent patterns (client hints win when present); `user.locale` is always `en`;
 * - urls are split by the `parse-uri` "loose" pattern; `domain`, `subdomain` and `topLevelDomain`
 *   come from a domain parser (below); every url part also appears lower-cased as `<part>_lc`;
 * - mbox parameters with dotted names are nested (`a.b=1` gives `mbox.a.b`), and every string
 *   value also appears lower-cased as `<name>_lc`, at every level;
 * - an mbox that carries its own `address` gets `page` from that url and, as the engine does,
 *   `referring` from that same url (not from its `referringUrl`);
 * - the clock is read in UTC: `current_time` is `HHmm`, `current_day` is 1 (Monday) to 7 (Sunday).
 *
 * Where the engine would throw or write into `Object.prototype` (a parameter nested under a
 * non-object value, or a name such as `__proto__`), this module keeps the request usable instead:
 * such a parameter is skipped or kept as a plain own property.
 */

/** The parts of a Delivery API `context` the engine reads. */
export interface DeliveryContext {
  userAgent?: string;
  clientHints?: ClientHints;
  address?: Address;
  geo?: Geo;
}

export interface ClientHints {
  platform?: unknown;
  browserUAWithFullVersion?: string;
  browserUAWithMajorVersion?: string;
}

export interface Address {
  url?: unknown;
  referringUrl?: unknown;
}

export interface Geo {
  countryCode?: unknown;
  stateCode?: unknown;
  city?: unknown;
  latitude?: unknown;
  longitude?: unknown;
}

/** A decision context: plain JSON-like data, read by conditions through dotted paths. */
export type DecisionContext = Readonly<Record<string, unknown>>;

/** `domain`, `subdomain`, `topLevelDomain` of a host; a parser may leave all three out. */
export interface DomainParts {
  subdomain?: string;
  domain?: string;
  topLevelDomain?: string;
}

export type ParseDomain = (host: string) => DomainParts;

/** Sets an own property, `__proto__` included, without touching any prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

const hasOwn = (target: object, key: string): boolean => Object.hasOwn(target, key);

// ---------------------------------------------------------------------------------------------
// Domains

/**
 * The engine's own parser (used when the SDK passes none): `domain` is the whole host; 2 labels give
 * the last as `topLevelDomain`; 3 labels the first as `subdomain` (unless `www`) and the last as
 * `topLevelDomain`; 4 labels the last two as `topLevelDomain`; 5 labels or more give no part at all.
 */
export function parseDomainBasic(host: string): DomainParts {
  const parts = host.split('.');
  switch (parts.length) {
    case 1:
      return { subdomain: '', domain: host, topLevelDomain: '' };
    case 2:
      return { subdomain: '', domain: host, topLevelDomain: parts[1]! };
    case 3:
      return { subdomain: parts[0] === 'www' ? '' : parts[0]!, domain: host, topLevelDomain: parts[2]! };
    case 4:
      return { subdomain: parts[0] === 'www' ? '' : parts[0]!, domain: host, topLevelDomain: `${parts[2]}.${parts[3]}` };
    default:
      return {};
  }
}

/**
 * The parser Adobe's Node.js SDK hands the engine: the public suffix list (`psl`). A host the list
 * does not make a registrable domain of (`localhost`, an IP address, an unlisted suffix) is its own
 * `domain` with empty `subdomain` and `topLevelDomain`. As in the SDK, a subdomain starting with
 * `www` loses its first four characters (`www.shop` → `shop`, `www2.shop` → `.shop`). The domain
 * and its parts are lower case; a host with `_` is no registrable domain. The list is the one of
 * the `psl` release installed; the SDK bundles a 2022 one, so suffixes added or removed since then
 * (a few hundred rare ones, none of com, net, org, co.uk …) may split differently.
 */
export function parseDomainPublicSuffix(host: string): DomainParts {
  const unregistrable = { subdomain: '', domain: host, topLevelDomain: '' };
  // The SDK's psl refuses `_` in a label; today's psl accepts it.
  if (host.includes('_')) return unregistrable;
  let parsed: ReturnType<typeof psl.parse>;
  try {
    parsed = psl.parse(host);
  } catch {
    return unregistrable; // a host punycode cannot encode
  }
  // psl.isValid, without parsing twice.
  if ('error' in parsed || !parsed.domain || !parsed.listed) return unregistrable;
  return {
    subdomain: parsed.subdomain ? (parsed.subdomain.startsWith('www') ? parsed.subdomain.substring(4) : parsed.subdomain) : '',
    domain: parsed.domain ?? '',
    topLevelDomain: parsed.tld ?? '',
  };
}

// ---------------------------------------------------------------------------------------------
// Urls

/** The "loose" url pattern of `parse-uri`, as the engine uses it. */
const LOOSE_URL =
  /^(?:(?![^:@]+:[^:@/]*@)([^:/?#.]+):)?(?:\/\/)?((?:(([^:@]*)(?::([^:@]*))?)?@)?([^:/?#]*)(?::(\d*))?)(((\/(?:[^?#](?![^?#/]*\.[^?#/.]+(?:[?#]|$)))*\/?)?([^?#/]*))(?:\?([^#]*))?(?:#(.*))?)/;

function urlParts(url: unknown, parseDomain: ParseDomain): Record<string, unknown> {
  const text = typeof url === 'string' ? url : '';
  const match = text ? LOOSE_URL.exec(text) : null;
  const parts: Record<string, unknown> = {
    url: text,
    path: match?.[9] ?? '',
    query: match?.[12] ?? '',
    fragment: match?.[13] ?? '',
  };
  const domain = parseDomain(match?.[6] ?? '');
  if (domain.subdomain !== undefined) parts.subdomain = domain.subdomain;
  if (domain.domain !== undefined) parts.domain = domain.domain;
  if (domain.topLevelDomain !== undefined) parts.topLevelDomain = domain.topLevelDomain;
  return parts;
}

/**
 * A small memo for the pure derivations that the same inputs repeat across visitors (a page's
 * url, a browser's user agent): the last `limit` distinct inputs, the oldest forgotten first. The
 * values are frozen, as they are shared by every context that reads them.
 */
function memo<T extends object>(limit: number, compute: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = Object.freeze(compute(key));
      if (cache.size >= limit) cache.delete(cache.keys().next().value!);
      cache.set(key, value);
    }
    return value;
  };
}

const urlMemos = new WeakMap<ParseDomain, (url: string) => Record<string, unknown>>();

function computeUrlContext(url: unknown, parseDomain: ParseDomain): Record<string, unknown> {
  const parts = urlParts(url, parseDomain);
  const result: Record<string, unknown> = { ...parts };
  for (const key of Object.keys(parts)) {
    const value = parts[key];
    result[`${key}_lc`] = typeof value === 'string' ? value.toLowerCase() : value;
  }
  return result;
}

/** `page` or `referring`: the url's parts, each also lower-cased as `<part>_lc`. Shared, frozen. */
export function urlContext(url: unknown, parseDomain: ParseDomain = parseDomainPublicSuffix): Readonly<Record<string, unknown>> {
  if (typeof url !== 'string' || url.length > 2048) return computeUrlContext(url, parseDomain);
  let forParser = urlMemos.get(parseDomain);
  if (!forParser) {
    forParser = memo(1000, (key) => computeUrlContext(key, parseDomain));
    urlMemos.set(parseDomain, forParser);
  }
  return forParser(url);
}

// ---------------------------------------------------------------------------------------------
// Browser

interface Matcher {
  name: string;
  regex: RegExp;
  versionGroupIndex?: number;
}

const UNKNOWN = 'unknown';

const BROWSERS: readonly Matcher[] = [
  { name: 'Edge', regex: /(edge|edgios|edga|edg)\/((\d+)?[\w.]+)/i, versionGroupIndex: 2 },
  { name: 'Mobile Safari', regex: /version\/([\w.]+).+?mobile\/\w+\s(safari)/i, versionGroupIndex: 1 },
  { name: 'Safari', regex: /version\/([\w.]+).+?(mobile\s?safari|safari)/i, versionGroupIndex: 1 },
  { name: 'Chrome', regex: /(chrome)\/v?([\w.]+)/i, versionGroupIndex: 2 },
  { name: 'Firefox', regex: /(firefox)\/([\w.-]+)$/i, versionGroupIndex: 2 },
  { name: 'IE', regex: /(?:ms|\()(ie)\s([\w.]+)/i, versionGroupIndex: 2 },
  { name: 'IE', regex: /(trident).+rv[:\s]([\w.]+).+like\sgecko/i, versionGroupIndex: 2 },
];

const CLIENT_HINT_BROWSERS: readonly Matcher[] = [
  { name: 'Chrome', regex: /Chrome";v="([0-9.]+)"/i, versionGroupIndex: 1 },
  { name: 'Edge', regex: /Edge";v="([0-9.]+)"/i, versionGroupIndex: 1 },
  { name: 'Safari', regex: /Safari";v="([0-9.]+)"/i, versionGroupIndex: 1 },
  { name: 'Firefox', regex: /Firefox";v="([0-9.]+)"/i, versionGroupIndex: 1 },
];

const OPERATING_SYSTEMS: readonly Matcher[] = [
  { name: 'iOS', regex: /iPhone|iPad|iPod/ },
  { name: 'Android', regex: /Android [0-9.]+;/ },
  { name: 'Linux', regex: / Linux / },
  { name: 'Unix', regex: /FreeBSD|OpenBSD|CrOS/ },
  { name: 'Windows', regex: /[( ]Windows / },
  { name: 'Mac OS', regex: /Macintosh;/ },
];

/** Target's platform names for the engine's operating-system names (others pass unchanged). */
const TARGET_PLATFORMS: Readonly<Record<string, string>> = {
  Windows: 'windows',
  Macintosh: 'mac',
  'Mac OS': 'mac',
  macOS: 'mac',
  Linux: 'linux',
};

interface Browser {
  name: string;
  version: number;
}

function matchBrowser(matchers: readonly Matcher[], text: string): Browser {
  for (const matcher of matchers) {
    const match = text.match(matcher.regex);
    if (match) {
      const version = match[matcher.versionGroupIndex!] || '-1';
      return { name: matcher.name, version: Number.parseInt(version.split('.')[0]!, 10) };
    }
  }
  return { name: UNKNOWN, version: -1 };
}

function operatingSystem(userAgent: string): string {
  for (const matcher of OPERATING_SYSTEMS) if (matcher.regex.test(userAgent)) return matcher.name;
  return UNKNOWN;
}

const browserMemo = memo(500, (userAgent) => computeBrowserContext(userAgent, {}));

/** `user.browserType`, `user.browserVersion`, `user.platform`, `user.locale`, as the engine derives them. */
export function browserContext(userAgent: string, clientHints?: ClientHints): Readonly<Record<string, unknown>> {
  return clientHints === undefined && userAgent.length <= 1024
    ? browserMemo(userAgent)
    : computeBrowserContext(userAgent, clientHints ?? {});
}

function computeBrowserContext(userAgent: string, clientHints: ClientHints): Record<string, unknown> {
  const fromUserAgent = matchBrowser(BROWSERS, userAgent);
  const hint = clientHints.browserUAWithFullVersion || clientHints.browserUAWithMajorVersion;
  const fromHints = matchBrowser(CLIENT_HINT_BROWSERS, typeof hint === 'string' ? hint : '');
  // Client hints win where they know something; a version only when it is a number ≥ 0.
  let name = UNKNOWN;
  let version = -1;
  for (const browser of [fromUserAgent, fromHints]) {
    if (browser.name !== UNKNOWN) name = browser.name;
    if (browser.version >= 0) version = browser.version;
  }
  const platform = clientHints.platform !== undefined ? clientHints.platform : operatingSystem(userAgent);
  return {
    browserType: name.toLowerCase(),
    platform: typeof platform === 'string' && hasOwn(TARGET_PLATFORMS, platform) ? TARGET_PLATFORMS[platform] : platform,
    locale: 'en',
    browserVersion: version,
  };
}

// ---------------------------------------------------------------------------------------------
// Parameters

/** A dotted name the engine nests: it has a dot, no `..`, and neither starts nor ends with one. */
function isExpandable(key: string): boolean {
  return key.includes('.') && !key.includes('..') && key[0] !== '.' && key[key.length - 1] !== '.';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Nests dotted names, in the order of `Object.keys`. A later plain name replaces an earlier nested
 * value, and a dotted name reuses whatever a truthy earlier value left at each level, as in the
 * engine. A dotted name that would have to create a property on a string, number or boolean (the
 * engine throws there, failing the whole request) is skipped.
 */
function unflatten(parameters: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(parameters)) {
    const value = parameters[key];
    if (!isExpandable(key)) {
      setOwn(result, key, value);
      continue;
    }
    const path = key.split('.');
    let current: unknown = result;
    let blocked = false;
    for (let i = 0; i < path.length - 1; i++) {
      if (typeof current !== 'object' || current === null) {
        blocked = true;
        break;
      }
      const holder = current as Record<string, unknown>;
      const existing = hasOwn(holder, path[i]!) ? holder[path[i]!] : undefined;
      const next = existing || {};
      setOwn(holder, path[i]!, next);
      current = next;
    }
    if (blocked || typeof current !== 'object' || current === null) continue;
    setOwn(current as Record<string, unknown>, path[path.length - 1]!, value);
  }
  return result;
}

/** Adds `<name>_lc` beside every string value, and does the same inside nested objects. */
function withLowerCaseStringValues(source: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...source };
  for (const key of Object.keys(source)) {
    const current = result[key];
    if (typeof current === 'string') result[`${key}_lc`] = current.toLowerCase();
    if (isPlainObject(source[key])) {
      // The engine recurses into what the result holds now, which a `<name>_lc` of an earlier
      // string may have replaced: a string spreads into its characters there.
      const replaced = result[key];
      setOwn(
        result,
        key,
        withLowerCaseStringValues(
          typeof replaced === 'string' ? Object.fromEntries(Object.entries(replaced)) : (replaced as Record<string, unknown>),
        ),
      );
    }
  }
  return result;
}

/** `mbox`: a location's parameters, nested by their dotted names, with `<name>_lc` of every string. */
export function parametersContext(parameters: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  return nestedWithLowerCase(parameters ?? {});
}

/**
 * `withLowerCaseStringValues(unflatten(values))`, in one pass when that is the same thing: when no
 * name has a dot (nothing to nest) or ends with `_lc` (no twin can replace a value) and no value is
 * an object (nothing to recurse into), which is what profiles and most parameters look like. Only
 * the order of the keys differs, which no condition can see.
 */
function nestedWithLowerCase(values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const keys = Object.keys(values);
  for (const key of keys) {
    const value = values[key];
    if (key.includes('.') || key.endsWith('_lc') || (typeof value === 'object' && value !== null && !Array.isArray(value))) {
      return withLowerCaseStringValues(unflatten(values));
    }
  }
  const result: Record<string, unknown> = {};
  for (const key of keys) {
    const value = values[key];
    setOwn(result, key, value);
    if (typeof value === 'string') result[`${key}_lc`] = value.toLowerCase();
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Geo and time

export function geoContext(geo: Geo = {}): Record<string, unknown> {
  return { country: geo.countryCode, region: geo.stateCode, city: geo.city, latitude: geo.latitude, longitude: geo.longitude };
}

const twoDigits = (value: number): string => (value < 10 ? `0${value}` : String(value));

export function timeContext(now: number): Record<string, unknown> {
  const date = new Date(now);
  const day = date.getUTCDay();
  return {
    current_timestamp: now,
    current_time: `${twoDigits(date.getUTCHours())}${twoDigits(date.getUTCMinutes())}`,
    current_day: day === 0 ? 7 : day,
  };
}

// ---------------------------------------------------------------------------------------------
// The whole context

/** Name → value of a profile's attributes as the domain keeps them (value and modification time). */
export function attributeValues(attributes: ReadonlyMap<string, { value: string }>): Map<string, string> {
  const values = new Map<string, string>();
  for (const [name, attribute] of attributes) values.set(name, attribute.value);
  return values;
}

/** Profile-script outputs are the attributes under `user.`; everything else is a profile attribute. */
const SCRIPT_PREFIX = 'user.';

export interface DecisionInputs {
  /** The Delivery API request's `context`. */
  context?: DeliveryContext;
  /** Epoch ms: the request's time, from the server's clock. */
  now: number;
  /** The visitor's attributes after this request's writes (and scripts): name → value. */
  attributes?: Iterable<readonly [string, string]>;
  /** This visit's session facts. */
  facts?: VisitFacts;
  /** Domain parser for `page` and `referring`; the Node.js SDK's public-suffix parser by default. */
  parseDomain?: ParseDomain;
}

function attributeContexts(attributes: Iterable<readonly [string, string]>): {
  profile: Record<string, string>;
  scripts: Record<string, string>;
} {
  const profile: Record<string, string> = {};
  const scripts: Record<string, string> = {};
  for (const [name, value] of attributes) {
    if (name.startsWith(SCRIPT_PREFIX)) {
      // A dotted `user.` name is a script's local or the server's bookkeeping: no condition reads it.
      const output = name.slice(SCRIPT_PREFIX.length);
      if (!output.includes('.')) setOwn(scripts, output, value);
    } else setOwn(profile, name, value);
  }
  return { profile, scripts };
}

/**
 * The request's decision context, before any location: `mbox` is empty here and filled per location
 * by `contextForLocation`.
 *
 * `profile.<name>` holds attribute values as stored: strings, compared the JavaScript way by
 * conditions (`"42" > 30` is true, `"10" > "9"` is false). Dotted attribute names are nested and
 * `<name>_lc` added, as for mbox parameters. The session facts are typed: `isFirstSession` and
 * `isNewSession` booleans, `sessionCount` and `daysSinceLastVisit` numbers (the latter absent in a
 * first session). `user` holds the profile-script outputs, the engine's browser fields winning.
 */
/**
 * The top-level names of the context to build: those some condition reads (`conditionReads`), or
 * `'any'`. A part no condition reads is left out, which no condition can tell.
 */
export type ContextParts = ReadonlySet<string> | 'any';

const TIME_PARTS = ['current_timestamp', 'current_time', 'current_day'];

function wanted(parts: ContextParts, name: string): boolean {
  return parts === 'any' || parts.has(name);
}

function profileContextOf(profile: Record<string, string>, facts: VisitFacts | undefined): Record<string, unknown> {
  const profileContext = nestedWithLowerCase(profile);
  if (facts) {
    profileContext.isFirstSession = facts.isFirstSession;
    profileContext.isNewSession = facts.isNewSession;
    profileContext.sessionCount = facts.sessionCount;
    if (facts.daysSinceLastVisit !== null) profileContext.daysSinceLastVisit = facts.daysSinceLastVisit;
    else delete profileContext.daysSinceLastVisit;
  }
  return profileContext;
}

export function buildDecisionContext(inputs: DecisionInputs, parts: ContextParts = 'any'): DecisionContext {
  const context = inputs.context ?? {};
  const parseDomain = inputs.parseDomain ?? parseDomainPublicSuffix;
  const result: Record<string, unknown> = {};
  if (TIME_PARTS.some((name) => wanted(parts, name))) Object.assign(result, timeContext(inputs.now));
  const needsProfile = wanted(parts, 'profile');
  const needsUser = wanted(parts, 'user');
  if (needsProfile || needsUser) {
    const { profile, scripts } = attributeContexts(inputs.attributes ?? []);
    if (needsUser) {
      const userAgent = typeof context.userAgent === 'string' ? context.userAgent : '';
      const clientHints = isPlainObject(context.clientHints) ? context.clientHints : undefined;
      const user: Record<string, unknown> = { ...nestedWithLowerCase(scripts), ...browserContext(userAgent, clientHints) };
      // Category affinity: the ranked categories as a list, so `in` tests a category, not a substring.
      if (typeof scripts.categoryAffinities === 'string') user.categoryAffinities = scripts.categoryAffinities.split(',');
      result.user = user;
    }
    if (needsProfile) result.profile = profileContextOf(profile, inputs.facts);
  }
  if (wanted(parts, 'page')) result.page = urlContext(context.address?.url, parseDomain);
  if (wanted(parts, 'referring')) result.referring = urlContext(context.address?.referringUrl, parseDomain);
  if (wanted(parts, 'geo')) result.geo = geoContext(context.geo ?? {});
  result.mbox = {};
  return result;
}

/** A location of the request as the context needs it: its parameters and, if it has one, its own address. */
export interface LocationDetails {
  parameters?: Readonly<Record<string, unknown>>;
  /** When present (even null), the location's own address replaces `page` and `referring`. */
  address?: Address | null;
}

/** The context one location is decided in: the request's, with this location's `mbox` (and address). */
export function contextForLocation(
  base: DecisionContext,
  location: LocationDetails,
  parseDomain: ParseDomain = parseDomainPublicSuffix,
  parts: ContextParts = 'any',
): DecisionContext {
  const context: Record<string, unknown> = { ...base, mbox: wanted(parts, 'mbox') ? parametersContext(location.parameters) : {} };
  if (location.address !== undefined && (wanted(parts, 'page') || wanted(parts, 'referring'))) {
    // As the engine does: both from the location's url; its referringUrl is not read.
    const url = location.address ? location.address.url : '';
    context.page = urlContext(url, parseDomain);
    context.referring = urlContext(url, parseDomain);
  }
  return context;
}

/**
 * The context of one rule of an imported Adobe artifact: its conditions read the visitor's
 * allocation in that activity as `allocation` (percent, two decimals, from `allocationValue`).
 */
export function withAllocation(context: DecisionContext, allocation: number): DecisionContext {
  return { ...context, allocation };
}
