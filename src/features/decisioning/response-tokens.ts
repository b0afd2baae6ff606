/**
 * Response tokens: the key–value pairs each option of a Delivery answer carries in
 * `responseTokens`. Each client chooses its list; DEFAULT_RESPONSE_TOKENS is the default.
 */

/** Tokens of the activity, the experience and the offer: the same for every visitor. */
export const ACTIVITY_RESPONSE_TOKENS: ReadonlySet<string> = new Set([
  'activity.id',
  'activity.name',
  'experience.id',
  'experience.name',
  'offer.id',
  'offer.name',
  'option.id',
  'option.name',
]);

/** Every client's list unless it chooses one: the activity's tokens and the decisioning method. */
export const DEFAULT_RESPONSE_TOKENS: readonly string[] = Object.freeze([...ACTIVITY_RESPONSE_TOKENS, 'activity.decisioningMethod']);

/** Tokens the server fills per visit, besides any `profile.<name>` and `user.<name>`. */
export const VISIT_RESPONSE_TOKENS: ReadonlySet<string> = new Set([
  'activity.decisioningMethod',
  'geo.city',
  'geo.country',
  'geo.state',
  'geo.latitude',
  'geo.longitude',
  'profile.isFirstSession',
  'profile.isNewSession',
  'profile.daysSinceLastVisit',
  'profile.tntId',
  'profile.thirdPartyId',
  'profile.marketingCloudVisitorId',
  'profile.categoryAffinity',
  'profile.categoryAffinities',
  'profile.activeActivities',
]);

export const MAX_RESPONSE_TOKENS = 100;

/** Why a name cannot be in a client's response-token list, or null when it can. */
export function responseTokenProblem(name: string): string | null {
  if (ACTIVITY_RESPONSE_TOKENS.has(name) || VISIT_RESPONSE_TOKENS.has(name)) return null;
  if (/^(profile|user)\.[^\s]{1,128}$/.test(name)) return null;
  return `"${name.slice(0, 64)}" is not a response token (known: ${[...ACTIVITY_RESPONSE_TOKENS, ...VISIT_RESPONSE_TOKENS].join(', ')}, profile.<name>, user.<name>)`;
}
