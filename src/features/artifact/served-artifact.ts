import type { StoredActivity } from '../decisioning/activity.js';
import type { EventTokenKey } from '../decisioning/event-tokens.js';
import { type AdobeArtifact, artifactEtag, artifactJson, publishArtifact } from './publish-artifact.js';

/**
 * The artifact `GET /{client}/production/v1/rules.json` serves (docs/artifact.md#serving): the
 * client's live activities published, and its imported Adobe artifact where they leave room.
 *
 * - Only an imported artifact (no live activity of its own): served exactly as it was imported, so
 *   the device decides as it did with Adobe's CDN.
 * - Only activities: `publishArtifact`.
 * - Both: a location some live activity offers is the client's own (its published rules, or remote);
 *   every other location keeps the imported rules, remote and local lists. The server decides the
 *   same way (delivery-service.ts).
 */
export interface ServedArtifact {
  json: string;
  etag: string;
}

export interface ServeOptions {
  eventTokenKey: EventTokenKey;
  responseTokens?: readonly string[];
}

// biome-ignore lint/suspicious/noExplicitAny: the imported artifact is JSON in Adobe's format, already validated
type Json = any;

const isObject = (value: unknown): value is Record<string, Json> => typeof value === 'object' && value !== null && !Array.isArray(value);

function served(json: string): ServedArtifact {
  return { json, etag: artifactEtag(json) };
}

const list = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

function setOwn(target: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The imported artifact's locations that the client's own activities do not take, added to `own`. */
function mergeImported(own: AdobeArtifact, imported: Record<string, Json>): AdobeArtifact {
  const ownMboxes = new Set([...Object.keys(own.rules.mboxes).filter((name) => own.rules.mboxes[name]!.length > 0), ...own.remoteMboxes]);
  const ownViews = new Set([...Object.keys(own.rules.views), ...own.remoteViews]);
  const rules = isObject(imported.rules) ? imported.rules : {};
  const mboxes: Record<string, Json> = { ...own.rules.mboxes };
  const views: Record<string, Json> = { ...own.rules.views };
  const remoteMboxes = new Set(own.remoteMboxes);
  const remoteViews = new Set(own.remoteViews);
  const localMboxes = new Set(own.localMboxes);
  const localViews = new Set(own.localViews);
  for (const [name, value] of Object.entries(isObject(rules.mboxes) ? rules.mboxes : {})) {
    if (ownMboxes.has(name)) continue;
    setOwn(mboxes, name, value);
    localMboxes.add(name);
  }
  for (const [name, value] of Object.entries(isObject(rules.views) ? rules.views : {})) {
    if (ownViews.has(name)) continue;
    setOwn(views, name, value);
    localViews.add(name);
  }
  for (const name of list(imported.remoteMboxes)) if (!ownMboxes.has(name)) remoteMboxes.add(name);
  for (const name of list(imported.remoteViews)) if (!ownViews.has(name)) remoteViews.add(name);
  for (const name of list(imported.localMboxes)) if (!ownMboxes.has(name) && !remoteMboxes.has(name)) localMboxes.add(name);
  for (const name of list(imported.localViews)) if (!ownViews.has(name) && !remoteViews.has(name)) localViews.add(name);
  for (const name of remoteMboxes) localMboxes.delete(name);
  for (const name of remoteViews) localViews.delete(name);
  const sorted = (record: Record<string, Json>) => {
    const result: Record<string, Json> = {};
    for (const key of Object.keys(record).sort()) setOwn(result, key, record[key]);
    return result;
  };
  return {
    ...own,
    geoTargetingEnabled: own.geoTargetingEnabled || imported.geoTargetingEnabled === true,
    responseTokens: [...new Set([...own.responseTokens, ...list(imported.responseTokens)])],
    remoteMboxes: [...remoteMboxes].sort(),
    remoteViews: [...remoteViews].sort(),
    localMboxes: [...localMboxes].sort(),
    localViews: [...localViews].sort(),
    rules: { mboxes: sorted(mboxes), views: sorted(views) },
  };
}

/** `importedBody`: the imported artifact's JSON text as stored, or null. */
export function servedArtifact(
  client: string,
  activities: readonly StoredActivity[],
  importedBody: string | null,
  options: ServeOptions,
): ServedArtifact {
  const live = activities.filter((activity) => activity.state === 'live');
  if (importedBody !== null && live.length === 0) return served(importedBody);
  const own = publishArtifact(client, live, options);
  if (importedBody === null) return served(artifactJson(own));
  return served(artifactJson(mergeImported(own, JSON.parse(importedBody) as Record<string, Json>)));
}
