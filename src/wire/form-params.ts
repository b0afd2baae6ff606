/**
 * Strict reader for URL query strings and `application/x-www-form-urlencoded` bodies.
 *
 * Decoding is the WHATWG URL standard's form decoding (what URLSearchParams does): `+` is a space,
 * `%` followed by two hex digits is a byte, and any other `%` is a literal `%` (`50% off` stays
 * `50% off`: Segment's Target destination sends such values unencoded). Unlike URLSearchParams it
 * never guesses at the end: decoded bytes that are not valid UTF-8 are a precise error instead of
 * a silent U+FFFD (two broken ids must not become the same id), and the order of repeated names
 * is kept.
 */
export class FormDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormDecodeError';
  }
}

/** A `%` that does not start a `%XX` byte: WHATWG percent-decoding keeps it as it is. */
const STRAY_PERCENT = /%(?![0-9A-Fa-f]{2})/g;

/** Escapes every stray `%` as `%25`, so that decodeURIComponent keeps it literally. */
function escapeStrayPercents(text: string): string {
  return text.replace(STRAY_PERCENT, '%25');
}

/**
 * Percent-decodes `raw` as WHATWG does (a stray `%` stays literal; `+` is not touched), or null
 * when the decoded bytes are not valid UTF-8.
 */
export function percentDecode(raw: string): string | null {
  if (!raw.includes('%')) return raw;
  try {
    // After the escape, decodeURIComponent fails only on byte sequences that are not UTF-8
    // (invalid, truncated, overlong, encoded surrogates).
    return decodeURIComponent(escapeStrayPercents(raw));
  } catch {
    return null;
  }
}

/** Decodes one `application/x-www-form-urlencoded` component (`+` is a space); null when not valid UTF-8. */
export function formDecode(raw: string): string | null {
  return percentDecode(raw.includes('+') ? raw.replace(/\+/g, ' ') : raw);
}

/** formDecode, throwing a FormDecodeError that names `what` (default: the component itself). */
export function decodeFormComponent(raw: string, what?: string): string {
  const decoded = formDecode(raw);
  if (decoded === null) throw new FormDecodeError(`${what ?? `'${truncateForMessage(raw)}'`} is not valid UTF-8 once percent-decoded`);
  return decoded;
}

/**
 * The request URL with every stray `%` of its path escaped as `%25`, so that the router decodes
 * path parameters by the same rule as forms: `/thirdPartyId/50%` names the id `50%`. The query is
 * left as it is (its readers decode it). In a path `+` is a plus, as URLs have it: only forms use
 * `+` for a space. The URL itself is returned when there is nothing to escape.
 */
export function escapeStrayPercentsInPath(url: string): string {
  if (!url.includes('%')) return url; // every request passes here: the common case costs one scan
  const end = url.search(/[?#]/);
  const path = end === -1 ? url : url.slice(0, end);
  if (!path.includes('%')) return url;
  const escaped = escapeStrayPercents(path);
  return escaped === path ? url : escaped + (end === -1 ? '' : url.slice(end));
}

/**
 * When the router could not decode a URL's path (FST_ERR_BAD_URL): the message naming the first
 * path segment that is not valid UTF-8 once percent-decoded, or null when that is not the cause.
 */
export function undecodablePathMessage(url: string): string | null {
  const end = url.search(/[?#]/);
  const path = end === -1 ? url : url.slice(0, end);
  const segment = path.split('/').find((part) => percentDecode(part) === null);
  return segment === undefined ? null : `URL path segment '${truncateForMessage(segment)}' is not valid UTF-8 once percent-decoded`;
}

export function truncateForMessage(text: string, max = 64): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

export type FormPair = readonly [name: string, value: string];

/**
 * Splits `a=1&b=2` into ordered, decoded pairs. Empty segments (`a=1&&b=2`) are skipped. A name or
 * value that is not valid UTF-8 once decoded is a FormDecodeError naming the parameter.
 */
export function parseFormPairs(raw: string): FormPair[] {
  const pairs: FormPair[] = [];
  if (raw === '') return pairs;
  for (const segment of raw.split('&')) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    const rawName = eq === -1 ? segment : segment.slice(0, eq);
    const name = formDecode(rawName);
    if (name === null) throw new FormDecodeError(`parameter name '${truncateForMessage(rawName)}' is not valid UTF-8 once percent-decoded`);
    const value = eq === -1 ? '' : formDecode(segment.slice(eq + 1));
    if (value === null) throw new FormDecodeError(`the value of '${truncateForMessage(name)}' is not valid UTF-8 once percent-decoded`);
    pairs.push([name, value]);
  }
  return pairs;
}

/** The raw query string of a request URL (`/path?x=1` → `x=1`), without decoding. */
export function rawQueryOf(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return '';
  const hash = url.indexOf('#', q);
  return hash === -1 ? url.slice(q + 1) : url.slice(q + 1, hash);
}
