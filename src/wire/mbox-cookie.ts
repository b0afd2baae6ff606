/**
 * The `mbox` first-party cookie that at.js and Adobe's SDKs write themselves
 * (docs/wire-contract.md#23-the-mbox-cookie): `entry *( "|" entry )`, entry =
 * `urlencode(name) "#" urlencode(value) "#" expiresEpochSec`. profile-edge never sets it; this
 * codec serves tests and server-side integrations that build or read the cookie.
 */
export interface MboxCookieEntry {
  name: string;
  value: string;
  /** Expiry of this entry, in epoch seconds. */
  expiresAt: number;
}

export const MBOX_COOKIE_NAME = 'mbox';
/** Entry lifetimes used by at.js and the Node SDK: 31 minutes and 732 days. */
export const SESSION_ENTRY_SECONDS = 1860;
export const PC_ENTRY_SECONDS = 63_244_800;

const EXPIRY = /^\d{1,15}$/;

function decodePart(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

/**
 * Reads a cookie value into its entries, in order. Malformed entries (not exactly three `#`
 * parts, a non-integer expiry, undecodable percent-encoding) are dropped, as the clients do; so
 * are entries that expired before `nowSec` when it is given. Never throws.
 */
export function parseMboxCookie(raw: string, nowSec?: number): MboxCookieEntry[] {
  const entries: MboxCookieEntry[] = [];
  if (raw === '') return entries;
  for (const text of raw.split('|')) {
    const parts = text.split('#');
    if (parts.length !== 3 || !EXPIRY.test(parts[2]!)) continue;
    const name = decodePart(parts[0]!);
    const value = decodePart(parts[1]!);
    if (name === null || value === null || name === '') continue;
    const expiresAt = Number(parts[2]);
    if (nowSec !== undefined && expiresAt < nowSec) continue;
    entries.push({ name, value, expiresAt });
  }
  return entries;
}

export function formatMboxCookie(entries: readonly MboxCookieEntry[]): string {
  return entries
    .map(({ name, value, expiresAt }) => `${encodeURIComponent(name)}#${encodeURIComponent(value)}#${Math.floor(expiresAt)}`)
    .join('|');
}

/** The value of the last live entry with this name (later entries win, as in the SDK). */
export function mboxCookieEntry(raw: string, name: string, nowSec?: number): string | undefined {
  let found: string | undefined;
  for (const entry of parseMboxCookie(raw, nowSec)) if (entry.name === name) found = entry.value;
  return found;
}

/** The cookie a client writes after a delivery call: `session#<sid>#<exp>|PC#<tntId>#<exp>`. */
export function visitorMboxCookie(sessionId: string, tntId: string, nowSec: number): string {
  return formatMboxCookie([
    { name: 'session', value: sessionId, expiresAt: nowSec + SESSION_ENTRY_SECONDS },
    { name: 'PC', value: tntId, expiresAt: nowSec + PC_ENTRY_SECONDS },
  ]);
}
