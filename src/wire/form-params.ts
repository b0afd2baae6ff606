/**
 * Strict reader for URL query strings and `application/x-www-form-urlencoded` bodies.
 *
 * Unlike URLSearchParams it never guesses: an undecodable `%` sequence or invalid UTF-8 is a
 * precise error instead of a silent U+FFFD, and the order of repeated names is kept.
 */
export class FormDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormDecodeError';
  }
}

/** Decodes one `application/x-www-form-urlencoded` component (`+` is a space). */
export function decodeFormComponent(raw: string): string {
  const spaced = raw.includes('+') ? raw.replace(/\+/g, ' ') : raw;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    throw new FormDecodeError(`undecodable percent-encoding in '${truncateForMessage(raw)}'`);
  }
}

export function truncateForMessage(text: string, max = 64): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

export type FormPair = readonly [name: string, value: string];

/** Splits `a=1&b=2` into ordered, decoded pairs. Empty segments (`a=1&&b=2`) are skipped. */
export function parseFormPairs(raw: string): FormPair[] {
  const pairs: FormPair[] = [];
  if (raw === '') return pairs;
  for (const segment of raw.split('&')) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    const name = decodeFormComponent(eq === -1 ? segment : segment.slice(0, eq));
    const value = eq === -1 ? '' : decodeFormComponent(segment.slice(eq + 1));
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
