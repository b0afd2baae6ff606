import { type BinaryLike, createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';

/**
 * Event tokens: the opaque strings a Delivery answer hands out (`eventToken` on prefetched options,
 * on click metrics) and a later notification sends back. A token says what it counts — the client,
 * the activity and its version, the experience, display or click, and the click metric's name — and
 * is signed, so a notification can be counted from the token alone, with no server-side state and
 * no way for a visitor to forge or alter one.
 *
 * Format: `pe1.<claims>.<tag>`, base64url: claims are a JSON array, the tag is the first 16 bytes of
 * HMAC-SHA256 over `pe1.<claims>` with the server's key. A token does not depend on the visitor, so
 * it is computed once per activity version (artifacts published for Adobe's SDK carry the same ones).
 */

export type EventKind = 'display' | 'click';

export interface EventTokenClaims {
  client: string;
  activityId: string;
  activityVersion: number;
  experienceId: string;
  kind: EventKind;
  /** The click metric's name; only for `click`. */
  metric?: string;
}

/** A signing key: at least 16 bytes of secret. */
export type EventTokenKey = BinaryLike | KeyObject;

const PREFIX = 'pe1';
const TAG_BYTES = 16;

function tagOf(signed: string, key: EventTokenKey): Buffer {
  return createHmac('sha256', key).update(signed).digest().subarray(0, TAG_BYTES);
}

function checkKey(key: EventTokenKey): void {
  const size = typeof key === 'string' ? Buffer.byteLength(key) : ArrayBuffer.isView(key) ? key.byteLength : (key.symmetricKeySize ?? 0);
  if (size < 16) throw new RangeError('an event token key needs at least 16 bytes');
}

export function signEventToken(claims: EventTokenClaims, key: EventTokenKey): string {
  checkKey(key);
  const fields: unknown[] = [
    claims.client,
    claims.activityId,
    claims.activityVersion,
    claims.experienceId,
    claims.kind === 'display' ? 'd' : 'c',
  ];
  if (claims.kind === 'click') fields.push(claims.metric ?? '');
  const signed = `${PREFIX}.${Buffer.from(JSON.stringify(fields)).toString('base64url')}`;
  return `${signed}.${tagOf(signed, key).toString('base64url')}`;
}

/**
 * The claims of a token this server signed with one of `keys` (the current key first, then keys
 * being retired), or null for anything else: malformed, altered, or signed with another key.
 */
export function verifyEventToken(token: string, keys: EventTokenKey | readonly EventTokenKey[]): EventTokenClaims | null {
  if (typeof token !== 'string' || token.length > 2048) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return null;
  const signed = `${parts[0]}.${parts[1]}`;
  const tag = Buffer.from(parts[2]!, 'base64url');
  // Only the canonical spelling: base64url leaves spare bits in the last character, which decoding ignores.
  if (tag.length !== TAG_BYTES || tag.toString('base64url') !== parts[2]) return null;
  const candidates = Array.isArray(keys) ? (keys as readonly EventTokenKey[]) : [keys as EventTokenKey];
  if (!candidates.some((key) => timingSafeEqual(tagOf(signed, key), tag))) return null;
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(fields)) return null;
  const [client, activityId, activityVersion, experienceId, kind, metric] = fields;
  if (typeof client !== 'string' || typeof activityId !== 'string' || typeof experienceId !== 'string') return null;
  if (typeof activityVersion !== 'number' || !Number.isSafeInteger(activityVersion)) return null;
  if (kind === 'd' && fields.length === 5) return { client, activityId, activityVersion, experienceId, kind: 'display' };
  if (kind === 'c' && fields.length === 6 && typeof metric === 'string') {
    return { client, activityId, activityVersion, experienceId, kind: 'click', metric };
  }
  return null;
}
