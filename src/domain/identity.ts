import { BadRequestError } from '../errors.js';

/**
 * The ids a visitor can be known by (docs/wire-contract.md#21-the-ids). A profile is reached
 * through any of them; the id tables map `(client, kind, value)` to the profile's internal key.
 */
export type IdKind = 'tntId' | 'thirdPartyId' | 'marketingCloudVisitorId' | 'customerId';

export interface VisitorIdRef {
  kind: IdKind;
  /** The id as stored and looked up: a tntId without its location hint. */
  value: string;
}

export const ID_KIND_LABEL: Record<IdKind, string> = {
  tntId: 'mboxPC',
  thirdPartyId: 'third party id',
  marketingCloudVisitorId: 'marketingCloudVisitorId',
  customerId: 'customerId',
};

// Values that browsers and broken integrations send when they have no id at all; accepting them
// would merge unrelated visitors into one profile.
const BLOCKED_IDS = new Set(['', 'null', 'undefined', '0', '[object object]', 'anonymous', 'nan']);

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001F\u007F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LOCATION_HINT = /^\d+_\d+$/;

function checkCommon(value: string, field: string, maxLength: number): void {
  if (BLOCKED_IDS.has(value.trim().toLowerCase())) {
    throw new BadRequestError(`${field} '${value}' is not a usable visitor id`, 'blocked_id');
  }
  if (value.length > maxLength) {
    throw new BadRequestError(`${field} is longer than ${maxLength} characters`, 'id_too_long');
  }
  if (CONTROL_CHARS.test(value) || LONE_SURROGATE.test(value)) {
    throw new BadRequestError(`${field} contains control characters or invalid UTF-16`, 'invalid_id');
  }
}

/**
 * Validates a tntId and strips its location hint: `abc.28_20` → `abc`. The profile key is the
 * part before the dot; a dot not followed by a `<cluster>_<node>` hint is an error.
 */
export function parseTntId(raw: string, field = 'tntId', maxLength = 128): string {
  checkCommon(raw, field, maxLength);
  const dot = raw.indexOf('.');
  if (dot === -1) return raw;
  const key = raw.slice(0, dot);
  const hint = raw.slice(dot + 1);
  if (!LOCATION_HINT.test(hint)) {
    throw new BadRequestError(`${field} may contain a '.' only before a location hint of the form .<cluster>_<node>`, 'invalid_id');
  }
  checkCommon(key, field, maxLength);
  return key;
}

/**
 * Validates a decoded thirdPartyId. Target forbids `+` only because a raw `+` in a form decodes to
 * a space; here a `+` that arrived encoded (`%2B`, or in JSON) is kept, so e-mail-like CRM ids
 * (`ada+news@example.com`) work. `/` stays refused, as in Target.
 */
export function parseThirdPartyId(raw: string, field = 'thirdPartyId', maxLength = 256): string {
  checkCommon(raw, field, maxLength);
  if (raw.includes('/')) throw new BadRequestError(`${field} must not contain '/'`, 'invalid_id');
  return raw;
}

export function parseOpaqueId(raw: string, field: string, maxLength = 128): string {
  checkCommon(raw, field, maxLength);
  return raw;
}

export interface IdLimits {
  maxDeviceIdLength: number;
  maxThirdPartyIdLength: number;
}

export function parseIdRef(kind: IdKind, raw: string, limits: IdLimits, field: string = kind): VisitorIdRef {
  switch (kind) {
    case 'tntId':
      return { kind, value: parseTntId(raw, field, limits.maxDeviceIdLength) };
    case 'thirdPartyId':
      return { kind, value: parseThirdPartyId(raw, field, limits.maxThirdPartyIdLength) };
    case 'marketingCloudVisitorId':
    case 'customerId':
      return { kind, value: parseOpaqueId(raw, field, limits.maxDeviceIdLength) };
  }
}

/** Mints a tntId: 32 lowercase hex, no location hint (docs/wire-contract.md#22-minting-a-tntid). */
export function mintTntId(): string {
  return crypto.randomUUID().replace(/-/g, '');
}
