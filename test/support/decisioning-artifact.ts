import type { StoredActivity } from '../../src/features/decisioning/activity.js';
import { allocationCondition } from '../../src/features/decisioning/allocation.js';
import { compileActivities } from '../../src/features/decisioning/compiled-activities.js';
import type { EventTokenKey } from '../../src/features/decisioning/event-tokens.js';
import { ACTIVITY_RESPONSE_TOKENS } from '../../src/features/decisioning/response-tokens.js';
import { artifactOf, type EngineRule, type Json } from './decisioning-engine.js';

/**
 * The Adobe rules artifact equivalent to a client's activities, as the oracle tests and benchmarks
 * feed it to Adobe's engine: for each location, one rule per experience of each live activity, in
 * profile-edge's decision order, whose condition is
 *   and( startsAt ≤ current_timestamp, current_timestamp < endsAt,
 *        !!(activity audience),  allocation range (ab) | !!(experience audience) (xt) )
 * with the experience's offer, its display event token and its click metrics. Audiences are wrapped
 * in `!!` because an audience admits by JsonLogic truthiness (an empty array does not), while the
 * engine's verdict on a whole rule is JavaScript truthiness. A sketch of what publishing an artifact
 * needs; only locations without a `view:` prefix are mboxes.
 */
export function equivalentArtifact(client: string, activities: readonly StoredActivity[], eventTokenKey: EventTokenKey): Json {
  const index = compileActivities(activities, { client, eventTokenKey });
  const byId = new Map(activities.map((activity) => [activity.id, activity]));
  const mboxes: Record<string, EngineRule[]> = {};
  const views: Record<string, EngineRule[]> = {};
  for (const [location, list] of index.byLocation) {
    const rules: EngineRule[] = [];
    for (const compiled of list) {
      const source = byId.get(compiled.id)!;
      const window: Json[] = [];
      if (Number.isFinite(compiled.startsAt)) window.push({ '<=': [compiled.startsAt, { var: 'current_timestamp' }] });
      if (Number.isFinite(compiled.endsAt)) window.push({ '<': [{ var: 'current_timestamp' }, compiled.endsAt] });
      if (source.audience !== undefined) window.push({ '!!': [source.audience] });
      compiled.experiences.forEach((experience, i) => {
        const parts = [...window];
        const sourceExperience = source.experiences[i]!;
        if (compiled.type === 'ab') parts.push(allocationCondition(compiled.ranges[i]!));
        else if (sourceExperience.audience !== undefined) parts.push({ '!!': [sourceExperience.audience] });
        const offer = experience.offers.get(location)!;
        const tokens = Object.fromEntries(offer.responseTokens);
        const name = location.startsWith('view:') ? location.slice('view:'.length) : location;
        rules.push({
          ruleKey: `${compiled.id}.${experience.id}.${location}`,
          activityId: compiled.id,
          condition: parts.length === 0 ? true : { and: parts },
          consequence: {
            name,
            options: [{ type: offer.type, content: sourceExperience.offers[location]!.content, eventToken: experience.displayToken }],
            metrics: experience.metrics.map((metric) => ({ type: 'click', eventToken: metric.eventToken })),
          },
          meta: { ...tokens, 'audience.ids': [] },
        });
      });
    }
    if (location.startsWith('view:')) views[location.slice('view:'.length)] = rules;
    else mboxes[location] = rules;
  }
  return artifactOf(client, { mboxes, views }, [...ACTIVITY_RESPONSE_TOKENS]);
}
