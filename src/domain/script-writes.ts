import { type AttributeMap, SCRIPT_NAMESPACE } from './attributes.js';
import { tooLarge } from './profile-write.js';

/**
 * What profile scripts write (docs/profile-scripts.md#what-a-script-writes): the one rule every
 * script output goes through, pure. A script's value becomes `user.<name>`; its locals are kept as
 * `user.<name>.local.<key>` — a dotted `user.` name, which no script output can have (script names
 * have no dot), which `user.get` does not read and which conditions do not see. `undefined`, `null`
 * and the empty string write nothing (empty values never clear anything, as everywhere).
 */

/** Script names: a letter, then up to 63 letters, digits or `_`. */
export const SCRIPT_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** Names the server keeps under `user.` itself (category affinity): no script may have them. */
export const RESERVED_SCRIPT_NAMES: ReadonlySet<string> = new Set([
  'categoryAffinity',
  'categoryAffinities',
  'categoryId',
  'isFirstSession',
  'isNewSession',
  'daysSinceLastVisit',
  'pcId',
  'sessionId',
  'browser',
  'browserType',
  'activeActivities',
  'activeCampaigns',
]);

/** The longest value a script may return, and a local may hold (Target: 2,048 characters). */
export const MAX_SCRIPT_VALUE_LENGTH = 2048;
/** Locals one script may keep, and the longest key. */
export const MAX_LOCALS_PER_SCRIPT = 16;
export const MAX_LOCAL_KEY_LENGTH = 64;

export const scriptAttribute = (name: string): string => `${SCRIPT_NAMESPACE}${name}`;
export const localAttribute = (name: string, key: string): string => `${SCRIPT_NAMESPACE}${name}.local.${key}`;

/** Whether `user.<name>` is something a script reads with `user.get` (not a local, not bookkeeping). */
export const readableUserName = (name: string): boolean => !name.includes('.');

/** One successful run of a script: its value and the locals it set. */
export interface ScriptOutput {
  name: string;
  value: string | null | undefined;
  locals: ReadonlyMap<string, string>;
}

/** Why a run's output cannot be stored (the script is then disabled, reason `tooLong`), or null. */
export function scriptOutputProblem(output: ScriptOutput, held: AttributeMap): string | null {
  if (output.value && output.value.length > MAX_SCRIPT_VALUE_LENGTH) {
    return `returned ${output.value.length} characters, over the ${MAX_SCRIPT_VALUE_LENGTH}-character limit`;
  }
  for (const [key, value] of output.locals) {
    if (key.length === 0 || key.length > MAX_LOCAL_KEY_LENGTH)
      return `local key of ${key.length} characters (1 to ${MAX_LOCAL_KEY_LENGTH})`;
    if (value.length > MAX_SCRIPT_VALUE_LENGTH)
      return `local '${key.slice(0, 32)}' of ${value.length} characters, over ${MAX_SCRIPT_VALUE_LENGTH}`;
  }
  if (output.locals.size > 0) {
    const prefix = localAttribute(output.name, '');
    const keys = new Set(output.locals.keys());
    for (const name of held.keys()) if (name.startsWith(prefix)) keys.add(name.slice(prefix.length));
    if (keys.size > MAX_LOCALS_PER_SCRIPT) return `keeps ${keys.size} locals, over the limit of ${MAX_LOCALS_PER_SCRIPT}`;
  }
  return null;
}

/** Applies one run's output to `attributes` in place (the caller's working copy of the visit). */
export function applyScriptOutput(attributes: AttributeMap, output: ScriptOutput, now: number): void {
  if (typeof output.value === 'string') setChanged(attributes, scriptAttribute(output.name), output.value, now);
  for (const [key, value] of output.locals) setChanged(attributes, localAttribute(output.name, key), value, now);
}

/** Sets `name` unless `value` is empty or already held (an unchanged value keeps its `modifiedAt`). */
function setChanged(attributes: AttributeMap, name: string, value: string, now: number): void {
  if (value === '' || attributes.get(name)?.value === value) return;
  attributes.set(name, { value, modifiedAt: now });
}

/**
 * The scripts never make a visit fail: when their writes would take the profile past its size limit,
 * the visit keeps the profile as it was before them (and says so).
 */
export function withinSizeLimit(
  before: AttributeMap,
  after: AttributeMap,
  maxBytes: number,
): { attributes: AttributeMap; dropped: boolean } {
  return tooLarge(before, after, maxBytes) ? { attributes: before, dropped: true } : { attributes: after, dropped: false };
}
