import type { AttributeMap } from '../domain/attributes.js';
import { formatTimestamp } from './timestamps.js';

/** The profile fetch API's JSON body (docs/wire-contract.md#7-profile-fetch). */
export interface ProfileDocument {
  client: string;
  visitorId: string;
  modifiedAt: string;
  profileAttributes: Record<string, { value: string; modifiedAt: string }>;
}

export function profileDocument(
  client: string,
  visitorId: string,
  profile: { attributes: AttributeMap; modifiedAt: number },
): ProfileDocument {
  // A null-prototype object: an attribute named `__proto__` is an ordinary key here.
  const profileAttributes = Object.create(null) as ProfileDocument['profileAttributes'];
  for (const [name, { value, modifiedAt }] of profile.attributes) {
    profileAttributes[name] = { value, modifiedAt: formatTimestamp(modifiedAt) };
  }
  return { client, visitorId, modifiedAt: formatTimestamp(profile.modifiedAt), profileAttributes };
}
