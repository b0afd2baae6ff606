import type { CountedEvent } from '../delivery/visits-store.js';
import type { ImportedArtifact, ImportedRule } from './import-artifact.js';

/**
 * What an imported Adobe artifact holds, seen as activities (docs/artifact.md#import): one per
 * `meta["activity.id"]`, with its experiences and locations, read-only. Counts and reports name
 * them `adobe:<Adobe's activity id>` — a colon never appears in an id of profile-edge's own
 * activities, so the two can never be confused. The artifact's event tokens are Adobe's: they are
 * recognised by lookup (`eventTokens`), not by signature.
 */

export const IMPORTED_PREFIX = 'adobe:';

export interface ImportedExperience {
  id: string;
  name: string;
}

export interface ImportedActivity {
  /** `adobe:<activity id>`. */
  id: string;
  name: string;
  /** `meta["activity.type"]` (`ab`, `landing`, `xt`…), as Adobe wrote it. */
  type: string;
  experiences: ImportedExperience[];
  /** Locations: mbox names, `view:<name>` for views. */
  locations: string[];
  /** `click` when a rule of it carries click metrics. */
  metrics: Array<{ name: string }>;
}

/** What a notification token of the artifact counts. */
export type ImportedToken = CountedEvent;

const text = (value: unknown, fallback: string): string =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : fallback;

function experienceOf(rule: ImportedRule): ImportedExperience {
  const id = text(rule.meta['experience.id'], '0');
  return { id, name: text(rule.meta['experience.name'], id) };
}

export interface ImportedCatalogue {
  activities: ImportedActivity[];
  /** Event token → what it counts. */
  eventTokens: ReadonlyMap<string, ImportedToken>;
}

/** The imported activities and the event tokens of an artifact, in the artifact's order. */
export function catalogueOf(artifact: ImportedArtifact): ImportedCatalogue {
  const byId = new Map<string, ImportedActivity>();
  const eventTokens = new Map<string, ImportedToken>();
  const visit = (location: string, rules: readonly ImportedRule[]) => {
    for (const rule of rules) {
      const id = `${IMPORTED_PREFIX}${rule.activityId}`;
      let activity = byId.get(id);
      if (!activity) {
        activity = {
          id,
          name: text(rule.meta['activity.name'], rule.activityId),
          type: text(rule.meta['activity.type'], 'unknown'),
          experiences: [],
          locations: [],
          metrics: [],
        };
        byId.set(id, activity);
      }
      const experience = experienceOf(rule);
      if (!activity.experiences.some((known) => known.id === experience.id)) activity.experiences.push(experience);
      if (!activity.locations.includes(location)) activity.locations.push(location);
      for (const option of rule.consequence.options) {
        if (typeof option.eventToken === 'string')
          eventTokens.set(option.eventToken, { activityId: id, experienceId: experience.id, kind: 'impression' });
      }
      for (const metric of rule.consequence.metrics) {
        if (typeof metric.eventToken !== 'string') continue;
        if (metric.type === 'click') {
          eventTokens.set(metric.eventToken, { activityId: id, experienceId: experience.id, kind: 'conversion', metric: 'click' });
          if (activity.metrics.length === 0) activity.metrics.push({ name: 'click' });
        } else {
          eventTokens.set(metric.eventToken, { activityId: id, experienceId: experience.id, kind: 'impression' });
        }
      }
    }
  };
  for (const [name, rules] of artifact.mboxes) visit(name, rules);
  for (const [name, rules] of artifact.views) visit(`view:${name}`, rules);
  return { activities: [...byId.values()], eventTokens };
}
