/**
 * Target's dynamic data in offers: `${profile.name}`, `${user.name}`, `${mbox.name}`, `${user.pcId}`,
 * `${user.sessionId}`, the activity's own `${campaign.name}`, `${campaign.id}`,
 * `${campaign.recipe.name}`, `${campaign.recipe.id}` (also spelt `${activity.…}` and
 * `${experience.…}`), `${offer.name}`, `${offer.id}`; each may carry attributes:
 * - `default="…"`: written when the value is missing or blank (empty or only white space); it is
 *   the offer author's text and is written as it is;
 * - `show_blank="true"`: a blank value is written (as blank) instead of the default;
 * - `encode="escape"` / `encode="unescape"`: the value goes through JavaScript's `escape` /
 *   `unescape` (Target's offers are often JavaScript); `encode="none"`: the raw value.
 *
 * Decision, safer than Target (which inserts values raw): an inserted value cannot change the
 * structure of its offer. In an html offer it is HTML-escaped (`& < > " '`), which protects text and
 * quoted attributes (not a url attribute made of a whole value: there use `encode="escape"`); in a
 * redirect offer it is percent-encoded (`encodeURIComponent`), so it can neither change the host nor
 * add parameters; in a json offer tokens are rendered inside string values and the answer's JSON
 * encoding escapes them, so a value can never end its string. `encode="escape"` output is already
 * safe everywhere and is not escaped again; `encode="none"` opts out.
 *
 * Any other `${…}` (a JavaScript template literal in an html offer, say) is left as it is. A token
 * of a known namespace with a missing value and no default is written as nothing.
 */

export type OfferType = 'html' | 'json' | 'redirect';
export type Encoding = 'escape' | 'unescape' | 'none';

/** Namespaces a token may use; tokens of others are not tokens. */
const NAMESPACES = ['profile', 'user', 'mbox', 'campaign', 'activity', 'experience', 'offer'] as const;
type Namespace = (typeof NAMESPACES)[number];
/** Namespaces known when the activity is compiled: rendered once, not per visitor. */
const STATIC_NAMESPACES: ReadonlySet<string> = new Set(['campaign', 'activity', 'experience', 'offer']);

export interface Token {
  namespace: Namespace;
  /** What follows the namespace: `tier`, `recipe.name`. */
  key: string;
  default?: string;
  showBlank: boolean;
  encode?: Encoding;
}

export type TemplatePart = string | Token;

/** Offer text split into literal text and tokens, once. */
export interface Template {
  readonly parts: readonly TemplatePart[];
}

const TOKEN = /\$\{(profile|user|mbox|campaign|activity|experience|offer)\.([^\s{}"=]+)((?:\s+[A-Za-z_]+\s*=\s*"[^"]*")*)\s*\}/g;
const ATTRIBUTE = /([A-Za-z_]+)\s*=\s*"([^"]*)"/g;
const TOKEN_START = /\$\{(profile|user|mbox|campaign|activity|experience|offer)\./g;

function tokenOf(namespace: Namespace, key: string, attributes: string): { token: Token; problem?: string } {
  const token: Token = { namespace, key, showBlank: false };
  const seen = new Set<string>();
  for (const [, name, value] of attributes.matchAll(ATTRIBUTE)) {
    if (seen.has(name!)) return { token, problem: `repeats ${name}` };
    seen.add(name!);
    if (name === 'default') token.default = value!;
    else if (name === 'show_blank') {
      if (value !== 'true' && value !== 'false') return { token, problem: 'has show_blank other than "true" or "false"' };
      token.showBlank = value === 'true';
    } else if (name === 'encode') {
      if (value !== 'escape' && value !== 'unescape' && value !== 'none')
        return { token, problem: 'has encode other than "escape", "unescape" or "none"' };
      token.encode = value;
    } else return { token, problem: `has an unknown attribute ${name} (known: default, show_blank, encode)` };
  }
  return { token };
}

/** Splits offer text into literal text and tokens. */
export function parseTemplate(text: string): Template {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const { token, problem } = tokenOf(match[1] as Namespace, match[2]!, match[3]!);
    if (problem) continue; // refused at validation; a stored offer never has one
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push(token);
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return { parts };
}

/** Why offer text cannot be stored (a malformed token of a known namespace), or null. */
export function templateProblem(text: string): string | null {
  const tokens = new Map<number, string>();
  for (const match of text.matchAll(TOKEN)) {
    const { problem } = tokenOf(match[1] as Namespace, match[2]!, match[3]!);
    if (problem) return `token ${match[0].slice(0, 80)} ${problem}`;
    tokens.set(match.index, match[0]);
  }
  for (const start of text.matchAll(TOKEN_START)) {
    if (!tokens.has(start.index)) {
      return `has a malformed token at character ${start.index}: ${text.slice(start.index, start.index + 40)} (expected \${namespace.name attribute="value" …})`;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Values

/** What the activity knows of itself, for `campaign.*`, `activity.*`, `experience.*`, `offer.*`. */
export interface StaticTokenValues {
  activityId: string;
  activityName: string;
  experienceId: string;
  experienceName: string;
  offerId: string;
  offerName: string;
}

function staticValue(token: Token, values: StaticTokenValues): string | undefined {
  switch (`${token.namespace}.${token.key}`) {
    case 'campaign.name':
    case 'activity.name':
      return values.activityName;
    case 'campaign.id':
    case 'activity.id':
      return values.activityId;
    case 'campaign.recipe.name':
    case 'experience.name':
      return values.experienceName;
    case 'campaign.recipe.id':
    case 'experience.id':
      return values.experienceId;
    case 'offer.name':
      return values.offerName;
    case 'offer.id':
      return values.offerId;
    default:
      return undefined;
  }
}

/** What a visitor's request brings to `profile.*`, `user.*` and `mbox.*`. */
export interface VisitTokenValues {
  /** Attributes after this request's writes; `user.<name>` ones are profile-script outputs. */
  attributes: ReadonlyMap<string, string>;
  tntId: string;
  sessionId: string;
  isFirstSession?: boolean;
  isNewSession?: boolean;
  daysSinceLastVisit?: number | null;
  /** The location being answered. */
  location: string;
  /** The location's mbox parameters, as sent. */
  parameters?: Readonly<Record<string, unknown>>;
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function visitValue(token: Token, visit: VisitTokenValues): string | undefined {
  const { key } = token;
  switch (token.namespace) {
    case 'profile':
      if (key === 'isFirstSession' || key === 'isNewSession') return scalar(visit[key]);
      if (key === 'daysSinceLastVisit') return visit.daysSinceLastVisit === null ? undefined : scalar(visit.daysSinceLastVisit);
      return key.startsWith('user.') ? undefined : visit.attributes.get(key);
    case 'user':
      if (key === 'pcId') return visit.tntId;
      if (key === 'sessionId') return visit.sessionId;
      if (key === 'isFirstSession') return scalar(visit.isFirstSession);
      return visit.attributes.get(`user.${key}`);
    case 'mbox':
      if (key === 'name') return visit.location;
      return visit.parameters && Object.hasOwn(visit.parameters, key) ? scalar(visit.parameters[key]) : undefined;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const htmlEscape = (value: string): string => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

function encoded(value: string, encoding: Encoding | undefined, type: OfferType): string {
  if (encoding === 'none') return value;
  if (encoding === 'escape') return escape(value); // only A–Z a–z 0–9 @*_+-./ and %XX: safe in html and urls
  const plain = encoding === 'unescape' ? unescape(value) : value;
  if (type === 'html') return htmlEscape(plain);
  if (type === 'redirect') return encodeURIComponent(plain);
  return plain;
}

function renderToken(token: Token, value: string | undefined, type: OfferType): string {
  if (value === undefined) return token.default ?? '';
  if (value.trim() === '' && !token.showBlank && token.default !== undefined) return token.default;
  return encoded(value, token.encode, type);
}

/**
 * The template with the activity's own tokens already written: what is left depends on the
 * visitor. Done once per activity version.
 */
export function bindStatic(template: Template, values: StaticTokenValues, type: OfferType): Template {
  const parts: TemplatePart[] = [];
  for (const part of template.parts) {
    const text =
      typeof part === 'string' ? part : STATIC_NAMESPACES.has(part.namespace) ? renderToken(part, staticValue(part, values), type) : part;
    const previous = parts[parts.length - 1];
    if (typeof text === 'string' && typeof previous === 'string') parts[parts.length - 1] = previous + text;
    else parts.push(text);
  }
  return { parts };
}

/** True when rendering needs the visitor: some token is left. */
export function hasVisitTokens(template: Template): boolean {
  return template.parts.some((part) => typeof part !== 'string');
}

/** The text for one visitor. */
export function renderTemplate(template: Template, visit: VisitTokenValues, type: OfferType): string {
  let out = '';
  for (const part of template.parts) out += typeof part === 'string' ? part : renderToken(part, visitValue(part, visit), type);
  return out;
}

// ---------------------------------------------------------------------------------------------
// JSON offers: tokens inside string values

/** A json offer's content, compiled: `constant` when no string holds a visitor's token. */
export interface JsonRenderer {
  render: (visit: VisitTokenValues) => unknown;
  constant: boolean;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

const NO_VISIT_VALUES: VisitTokenValues = Object.freeze({ attributes: new Map(), tntId: '', sessionId: '', location: '' });

/** Compiles a json offer's content; tokens are looked for in string values (not in keys). */
export function compileJsonContent(content: unknown, values: StaticTokenValues): JsonRenderer {
  // Answers share the untouched parts: a frozen copy of its own, whatever the caller does with theirs.
  const own = deepFreeze(structuredClone(content));
  let constant = true;
  const compile = (value: unknown): ((visit: VisitTokenValues) => unknown) | null => {
    if (typeof value === 'string') {
      const template = bindStatic(parseTemplate(value), values, 'json');
      if (template.parts.length === 1 && typeof template.parts[0] === 'string' && template.parts[0] === value) return null;
      if (!hasVisitTokens(template)) {
        const text = template.parts.join('');
        return () => text;
      }
      constant = false;
      return (visit) => renderTemplate(template, visit, 'json');
    }
    if (Array.isArray(value)) {
      const items = value.map(compile);
      if (items.every((item) => item === null)) return null;
      return (visit) => value.map((item, i) => (items[i] ? items[i]!(visit) : item));
    }
    if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value).map(([key, item]) => [key, item, compile(item)] as const);
      if (entries.every(([, , render]) => render === null)) return null;
      return (visit) => {
        const out: Record<string, unknown> = {};
        for (const [key, item, render] of entries)
          Object.defineProperty(out, key, { value: render ? render(visit) : item, enumerable: true, writable: true, configurable: true });
        return out;
      };
    }
    return null;
  };
  const render = compile(own);
  if (!render) return { render: () => own, constant: true };
  if (!constant) return { render, constant };
  // Only the activity's own tokens: rendered once, shared like token-free content.
  const rendered = deepFreeze(render(NO_VISIT_VALUES));
  return { render: () => rendered, constant: true };
}

/** Every string inside a json value, for validation. */
export function* stringsOf(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const item of value) yield* stringsOf(item);
  else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) yield* stringsOf(item);
}
