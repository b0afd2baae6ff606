import { BadRequestError } from '../errors.js';

/**
 * The profile model (docs/wire-contract.md#3-profile-model): attribute values are always strings,
 * each with its own modifiedAt. A write sets values; empty values never clear anything; a write
 * that would break a limit is rejected whole.
 */
export interface Attribute {
  value: string;
  modifiedAt: number;
}

/** A Map, never a plain object: attribute names such as `__proto__` are ordinary data here. */
export type AttributeMap = Map<string, Attribute>;

export interface AttributeWrite {
  name: string;
  value: string;
}

export interface WriteLimits {
  maxNameLength: number;
  maxValueLength: number;
}

/**
 * Attributes the server maintains itself (docs/wire-contract.md#84-sessions-and-system-attributes);
 * external writers may not set them.
 */
export const SYSTEM_ATTRIBUTES: ReadonlySet<string> = new Set(['firstSessionStart', 'lastSessionStart', 'sessionCount']);

/** Profile-script output lives under `user.`; only scripts write there. */
export const SCRIPT_NAMESPACE = 'user.';

// eslint-disable-next-line no-control-regex
const NAME_FORBIDDEN = /[\u0000-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// Tab, LF and CR are allowed in values (addresses, notes); other C0 controls are not.
// eslint-disable-next-line no-control-regex
const VALUE_FORBIDDEN =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a name cannot be written by an external caller, or null when it can. */
export function attributeNameProblem(name: string, maxNameLength: number): string | null {
  if (name.length === 0) return 'attribute name is empty';
  // Only whitespace (a `profile.%20`): unreadable in every answer, and not what any caller meant.
  if (name.trim() === '') return 'attribute name is blank';
  if (name.length > maxNameLength) {
    return `attribute name '${name.slice(0, 32)}…' is longer than the ${maxNameLength}-character limit`;
  }
  if (NAME_FORBIDDEN.test(name)) return 'attribute name contains control characters or invalid UTF-16';
  if (SYSTEM_ATTRIBUTES.has(name)) return `attribute name '${name}' is reserved for the server`;
  if (name.startsWith(SCRIPT_NAMESPACE)) {
    return `attribute name '${name}' is in the '${SCRIPT_NAMESPACE}' namespace reserved for profile scripts`;
  }
  return null;
}

/** Why a value cannot be stored, or null when it can. */
export function attributeValueProblem(name: string, value: string, maxValueLength: number): string | null {
  if (value.length > maxValueLength) {
    return `value of attribute '${name}' is longer than the ${maxValueLength}-character limit`;
  }
  if (VALUE_FORBIDDEN.test(value)) {
    return `value of attribute '${name}' contains control characters or invalid UTF-16`;
  }
  return null;
}

/**
 * Checks external writes against the name and value limits and drops empty values (they never
 * clear anything). Throws on the first problem, so nothing is applied.
 */
export function validateWrites(writes: readonly AttributeWrite[], limits: WriteLimits): AttributeWrite[] {
  const kept: AttributeWrite[] = [];
  for (const write of writes) {
    const nameProblem = attributeNameProblem(write.name, limits.maxNameLength);
    if (nameProblem) throw new BadRequestError(nameProblem, 'invalid_attribute_name');
    if (write.value === '') continue;
    const valueProblem = attributeValueProblem(write.name, write.value, limits.maxValueLength);
    if (valueProblem) throw new BadRequestError(valueProblem, 'invalid_attribute_value');
    kept.push(write);
  }
  return kept;
}

/** Size of a profile's attribute data: UTF-8 bytes of every name and value. */
export function profileBytes(attributes: AttributeMap): number {
  let total = 0;
  for (const [name, attribute] of attributes) {
    total += Buffer.byteLength(name) + Buffer.byteLength(attribute.value);
  }
  return total;
}

/**
 * The room callers' data leaves free for the attributes the server keeps (SYSTEM_ATTRIBUTES): their
 * names and largest values (two 13-digit timestamps and a 16-digit count) take 87 bytes. Counting
 * them at this room whatever they hold now, every write keeps the profile under the limit after
 * any later visit stamps its session (docs/wire-contract.md#32-limits).
 */
export const SESSION_ATTRIBUTES_ROOM = 128;

/** UTF-8 bytes of the names and values callers wrote (every attribute but SYSTEM_ATTRIBUTES). */
export function callerBytes(attributes: AttributeMap): number {
  let total = 0;
  for (const [name, attribute] of attributes) {
    if (!SYSTEM_ATTRIBUTES.has(name)) total += Buffer.byteLength(name) + Buffer.byteLength(attribute.value);
  }
  return total;
}

/** What the size limit counts: callers' bytes, and the session attributes at their room. */
export function countedBytes(attributes: AttributeMap): number {
  return callerBytes(attributes) + SESSION_ATTRIBUTES_ROOM;
}

export function profileTooLargeMessage(bytes: number, maxBytes: number): string {
  return `profile would hold ${bytes} bytes of attribute data (${SESSION_ATTRIBUTES_ROOM} of them kept for the session attributes), over the ${maxBytes}-byte (64 KB) limit; nothing was written`;
}

export class ProfileTooLargeError extends BadRequestError {
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(profileTooLargeMessage(bytes, maxBytes), 'profile_too_large');
  }
}

/**
 * Applies writes in order (a later write of the same name wins) and returns a new map; the input
 * is not modified. Values equal to the stored one keep their modifiedAt: nothing changed.
 *
 * The size limit is not checked here: the write planners (profile-write.ts, visit-plan.ts) check
 * it on every write path, where the profile before and after the whole write are both known. The
 * fourth argument of earlier versions (that limit) is accepted and ignored.
 */
export function applyWrites(
  existing: AttributeMap,
  writes: readonly AttributeWrite[],
  now: number,
  _maxProfileBytes?: number,
): AttributeMap {
  const next: AttributeMap = new Map(existing);
  for (const { name, value } of writes) {
    if (value === '') continue;
    const current = next.get(name);
    if (current && current.value === value) continue;
    next.set(name, { value, modifiedAt: now });
  }
  return next;
}

/** Latest modifiedAt of any attribute, or the fallback for an empty profile. */
export function lastModified(attributes: AttributeMap, fallback: number): number {
  let latest = 0;
  for (const attribute of attributes.values()) latest = Math.max(latest, attribute.modifiedAt);
  return latest || fallback;
}
