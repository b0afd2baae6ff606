import type { AttributeWrite } from '../../domain/attributes.js';
import { type IdLimits, parseThirdPartyId, parseTntId, type VisitorIdRef } from '../../domain/identity.js';
import { BadRequestError } from '../../errors.js';
import type { FormPair } from '../../wire/form-params.js';

export interface SingleUpdateRequest {
  ref: VisitorIdRef;
  writes: AttributeWrite[];
}

const PROFILE_PREFIX = 'profile.';

function single(pairs: readonly FormPair[], name: string): string | undefined {
  let found: string | undefined;
  for (const [key, value] of pairs) {
    if (key !== name) continue;
    if (found !== undefined && found !== value) {
      throw new BadRequestError(`${name} is given more than once with different values`, 'ambiguous_key');
    }
    found = value;
  }
  return found;
}

/**
 * Reads the single profile update parameters (docs/wire-contract.md#5-single-profile-update):
 * exactly one of `mboxPC` and `mbox3rdPartyId`, then `profile.<name>=<value>` pairs in order.
 * Other parameters are ignored.
 */
export function parseSingleUpdate(pairs: readonly FormPair[], limits: IdLimits): SingleUpdateRequest {
  const mboxPC = single(pairs, 'mboxPC');
  const thirdParty = single(pairs, 'mbox3rdPartyId');
  if (mboxPC !== undefined && thirdParty !== undefined) {
    throw new BadRequestError('Send either mboxPC or mbox3rdPartyId, not both', 'ambiguous_key');
  }
  let ref: VisitorIdRef;
  if (mboxPC !== undefined) {
    ref = { kind: 'tntId', value: parseTntId(mboxPC, 'mboxPC', limits.maxDeviceIdLength) };
  } else if (thirdParty !== undefined) {
    ref = { kind: 'thirdPartyId', value: parseThirdPartyId(thirdParty, 'mbox3rdPartyId', limits.maxThirdPartyIdLength) };
  } else {
    throw new BadRequestError('mboxPC or mbox3rdPartyId is required', 'key_missing');
  }
  const writes: AttributeWrite[] = [];
  for (const [key, value] of pairs) {
    if (key.startsWith(PROFILE_PREFIX)) writes.push({ name: key.slice(PROFILE_PREFIX.length), value });
  }
  if (writes.length === 0) {
    throw new BadRequestError('At least one profile.<name>=<value> parameter is required', 'no_attributes');
  }
  return { ref, writes };
}
