import type { StoredActivity } from '../../src/features/decisioning/activity.js';
import type { EventTokenKey } from '../../src/features/decisioning/event-tokens.js';
import { ACTIVITY_RESPONSE_TOKENS } from '../../src/features/decisioning/response-tokens.js';
import { publishArtifact } from '../../src/features/artifact/publish-artifact.js';
import type { Json } from './decisioning-engine.js';

/**
 * The Adobe rules artifact equivalent to a client's activities, as the oracle tests and benchmarks
 * feed it to Adobe's engine: what profile-edge publishes for Adobe's SDK (`publishArtifact`, see
 * docs/artifact.md), with the activity's response tokens.
 */
export function equivalentArtifact(client: string, activities: readonly StoredActivity[], eventTokenKey: EventTokenKey): Json {
  return publishArtifact(client, activities, { eventTokenKey, responseTokens: [...ACTIVITY_RESPONSE_TOKENS] });
}
