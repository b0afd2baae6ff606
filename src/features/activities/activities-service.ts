import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../domain/clock.js';
import { BadRequestError, NotFoundError, PreconditionFailedError } from '../../errors.js';
import { ACTIVITY_ID_PATTERN, validateActivity } from '../decisioning/activity.js';
import { type ActivityIndex, type CompiledActivity, compileActivity, indexActivities } from '../decisioning/compiled-activities.js';
import type { EventTokenKey } from '../decisioning/event-tokens.js';
import { catalogueOf, IMPORTED_PREFIX, type ImportedCatalogue } from '../artifact/imported-activities.js';
import { compileImportedArtifact, type ImportedArtifact, type ImportedDecisions, readAdobeArtifact } from '../artifact/import-artifact.js';
import { type ServedArtifact, servedArtifact } from '../artifact/served-artifact.js';
import type {
  ActivitiesStore,
  ActivityChangeFeed,
  ActivityRecord,
  ExpectedVersion,
  ImportedArtifactRecord,
  VersionMismatch,
} from './activities-store.js';

export interface ActivitiesServiceOptions {
  /** PROFILE_EDGE_EVENT_TOKEN_KEYS; undefined: the key generated once per database. */
  eventTokenKeys?: readonly Buffer[];
  /** Without notifications: how long an index is used before its revision is read again. */
  pollMs?: number;
  /** With notifications: the longest an index is trusted, should a notification go missing. */
  notifiedTrustMs?: number;
}

/** Where the generated event-token key is kept (`server_secrets`). */
export const EVENT_TOKEN_KEY_SECRET = 'event-token-key';

/** The default bound on how late another worker or node sees an activity change, without notifications. */
export const ACTIVITY_POLL_MS = 500;

/** An imported Adobe artifact, compiled (docs/artifact.md#import). */
export interface ImportedSet {
  readonly record: ImportedArtifactRecord;
  readonly artifact: ImportedArtifact;
  readonly decisions: ImportedDecisions;
  readonly catalogue: ImportedCatalogue;
}

/** Everything a client's Delivery answers are decided from. */
export interface ClientDecisions {
  readonly index: ActivityIndex;
  /** The client's imported artifact; null without one. */
  readonly imported: ImportedSet | null;
}

interface CachedIndex {
  readonly index: ActivityIndex;
  readonly decisions: ClientDecisions;
  readonly answer: Promise<ClientDecisions>;
  readonly activities: readonly ActivityRecord[];
  /** The served artifact by response-token list, built on first request. */
  readonly served: Map<string, ServedArtifact>;
  /** The client's revision the index was compiled at; NaN once invalidated. */
  revision: number;
  /** performance.now() of the last time the revision was found unchanged. */
  checkedAt: number;
  /** Compiled activities by id, reused by the next index for versions that did not change. */
  readonly compiled: ReadonlyMap<string, CompiledActivity>;
}

function mismatchMessage(client: string, id: string, expected: ExpectedVersion, mismatch: VersionMismatch): string {
  if (mismatch.current === null)
    return `Client '${client}' has no activity '${id}' (If-Match: ${expected === '*' ? '*' : `"${expected}"`})`;
  return `Activity '${id}' is at version ${mismatch.current}, not ${expected} (If-Match)`;
}

const isMismatch = (value: unknown): value is VersionMismatch => typeof value === 'object' && value !== null && 'mismatch' in value;

/**
 * Activities: the admin API's reads and writes, and the compiled index Delivery decides from.
 *
 * The index of a client is compiled once per change and kept in memory; `decisionIndex` on the hot
 * path is a map lookup. When it is recompiled:
 * - a write by this process drops the client's index at once (a single SQLite process sees every
 *   change immediately: there are no other writers);
 * - PostgreSQL nodes announce each write (NOTIFY at commit) and every listening node drops that
 *   client's index within milliseconds; an index is still re-checked after `notifiedTrustMs`;
 * - where nobody announces (`serve --workers N` on SQLite, or PostgreSQL while the listener is
 *   down or the auth cache is off), an index is used for at most `pollMs` (500 ms) before the
 *   client's revision — one indexed read — is compared; only a changed revision recompiles.
 * Recompiling reuses the compiled activities whose version did not change. A client with no
 * activities costs one empty index.
 *
 * A load that started before an invalidation never stores its (possibly older) result.
 */
export class ActivitiesService {
  private readonly cache = new Map<string, CachedIndex>();
  private readonly loading = new Map<string, Promise<ClientDecisions>>();
  /** Bumped by every invalidation: a load stores its result only if no invalidation happened meanwhile. */
  private generation = 0;
  private keys: Promise<readonly EventTokenKey[]> | undefined;
  private readonly pollMs: number;
  private readonly notifiedTrustMs: number;

  constructor(
    private readonly store: ActivitiesStore,
    private readonly clock: Clock,
    private readonly changes: ActivityChangeFeed,
    private readonly options: ActivitiesServiceOptions = {},
  ) {
    this.pollMs = options.pollMs ?? ACTIVITY_POLL_MS;
    this.notifiedTrustMs = options.notifiedTrustMs ?? 5_000;
    changes.subscribe((client) => this.invalidate(client));
  }

  async list(client: string): Promise<ActivityRecord[]> {
    return this.store.list(client);
  }

  async get(client: string, id: string): Promise<ActivityRecord> {
    const activity = ACTIVITY_ID_PATTERN.test(id) ? await this.store.get(client, id) : null;
    if (!activity) throw new NotFoundError(`Client '${client}' has no activity '${id.slice(0, 64)}'`, 'unknown_activity');
    return activity;
  }

  /** Creates (version 1) or replaces (the next version) an activity; refused whole when invalid. */
  async put(
    client: string,
    id: string,
    body: unknown,
    expected?: ExpectedVersion,
  ): Promise<{ activity: ActivityRecord; created: boolean }> {
    assertActivityId(id);
    const sentId = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { id?: unknown }).id : undefined;
    if (sentId !== undefined && sentId !== id) {
      throw new BadRequestError(
        `id ${JSON.stringify(sentId).slice(0, 80)} does not match the activity id '${id}' of the path`,
        'invalid_activity',
      );
    }
    const activity = validateActivity(body);
    const result = await this.store.put(client, id, activity, this.clock.now(), expected);
    this.invalidate(client);
    if (isMismatch(result)) throw new PreconditionFailedError(mismatchMessage(client, id, expected, result));
    return result;
  }

  async delete(client: string, id: string, expected?: ExpectedVersion): Promise<void> {
    const result = ACTIVITY_ID_PATTERN.test(id) ? await this.store.delete(client, id, expected) : false;
    this.invalidate(client);
    if (isMismatch(result)) throw new PreconditionFailedError(mismatchMessage(client, id, expected, result));
    if (!result) throw new NotFoundError(`Client '${client}' has no activity '${id.slice(0, 64)}'`, 'unknown_activity');
  }

  /** The client's compiled activities (all states; decide() only uses live ones), compiled once per change. */
  async decisionIndex(client: string): Promise<ActivityIndex> {
    return (await this.decisions(client)).index;
  }

  /** The client's compiled activities and imported artifact, compiled once per change: the hot path's read. */
  decisions(client: string): Promise<ClientDecisions> {
    const cached = this.cache.get(client);
    if (cached && this.isFresh(cached)) return cached.answer;
    const pending = this.loading.get(client);
    if (pending) return pending;
    const load = this.load(client, cached).finally(() => {
      if (this.loading.get(client) === load) this.loading.delete(client);
    });
    this.loading.set(client, load);
    return load;
  }

  /**
   * The rules artifact served to Adobe's SDK for the client (docs/artifact.md#serving): built once
   * per change of its activities or imported artifact and per response-token list, not per request.
   */
  async servedArtifact(client: string, responseTokens: readonly string[] | null): Promise<ServedArtifact> {
    const decisions = await this.decisions(client);
    const cached = this.cache.get(client);
    const key = JSON.stringify(responseTokens);
    const hit = cached?.decisions === decisions ? cached.served.get(key) : undefined;
    if (hit) return hit;
    const [eventTokenKey] = await this.eventTokenKeys();
    const activities = cached?.decisions === decisions ? cached.activities : (await this.store.snapshot(client)).activities;
    const artifact = servedArtifact(client, activities, decisions.imported?.record.body ?? null, {
      eventTokenKey: eventTokenKey!,
      ...(responseTokens ? { responseTokens } : {}),
    });
    if (cached?.decisions === decisions) cached.served.set(key, artifact);
    return artifact;
  }

  /**
   * Imports an Adobe rules artifact (1.x) for the client, replacing any earlier one: validated whole
   * (a 400 naming the field otherwise) and compiled before it is stored.
   */
  async importArtifact(client: string, body: unknown): Promise<ImportedSet> {
    const artifact = readAdobeArtifact(body);
    const decisions = compileImportedArtifact(artifact);
    const record = await this.store.putImportedArtifact(client, JSON.stringify(body), this.clock.now());
    this.invalidate(client);
    return { record, artifact, decisions, catalogue: catalogueOf(artifact) };
  }

  /** What a report lists of an activity: a stored one, or `adobe:<id>` of the imported artifact; null when unknown. */
  async reported(
    client: string,
    id: string,
  ): Promise<{ name: string; experiences: ReadonlyArray<{ id: string; name?: string }>; metrics: ReadonlyArray<{ name: string }> } | null> {
    if (id.startsWith(IMPORTED_PREFIX)) {
      const { imported } = await this.decisions(client);
      return imported?.catalogue.activities.find((activity) => activity.id === id) ?? null;
    }
    return ACTIVITY_ID_PATTERN.test(id) ? this.store.get(client, id) : null;
  }

  /** The client's imported artifact, compiled; a 404 without one. */
  async importedArtifact(client: string): Promise<ImportedSet> {
    const { imported } = await this.decisions(client);
    if (!imported) throw new NotFoundError(`Client '${client}' has no imported artifact`, 'no_imported_artifact');
    return imported;
  }

  async deleteImportedArtifact(client: string): Promise<void> {
    const removed = await this.store.deleteImportedArtifact(client);
    this.invalidate(client);
    if (!removed) throw new NotFoundError(`Client '${client}' has no imported artifact`, 'no_imported_artifact');
  }

  /** Keys that verify event tokens; the first one signs. */
  eventTokenKeys(): Promise<readonly EventTokenKey[]> {
    this.keys ??= this.loadKeys().catch((error: unknown) => {
      this.keys = undefined; // an outage: the next call tries again
      throw error;
    });
    return this.keys;
  }

  /** Drops the client's index (null: every client's); the next decision recompiles it. */
  invalidate(client: string | null): void {
    this.generation++;
    if (client === null) {
      for (const cached of this.cache.values()) cached.revision = Number.NaN;
      this.loading.clear();
    } else {
      const cached = this.cache.get(client);
      if (cached) cached.revision = Number.NaN;
      this.loading.delete(client);
    }
  }

  private isFresh(cached: CachedIndex): boolean {
    if (Number.isNaN(cached.revision)) return false;
    if (this.changes.kind === 'local') return true;
    const trustMs = this.changes.kind === 'notify' && this.changes.listening() ? this.notifiedTrustMs : this.pollMs;
    return performance.now() - cached.checkedAt < trustMs;
  }

  private async load(client: string, stale: CachedIndex | undefined): Promise<ClientDecisions> {
    const generation = this.generation;
    const startedAt = performance.now();
    if (stale && !Number.isNaN(stale.revision)) {
      const revision = await this.store.revision(client);
      if (revision === stale.revision) {
        if (this.generation === generation) stale.checkedAt = startedAt;
        return stale.decisions;
      }
    }
    const [eventTokenKey] = await this.eventTokenKeys();
    const { revision, activities, imported } = await this.store.snapshot(client);
    const compiled = new Map<string, CompiledActivity>();
    for (const activity of activities) {
      const previous = stale?.compiled.get(activity.id);
      compiled.set(
        activity.id,
        previous?.version === activity.version ? previous : compileActivity(activity, { client, eventTokenKey: eventTokenKey! }),
      );
    }
    const index = indexActivities(client, [...compiled.values()]);
    const decisions: ClientDecisions = { index, imported: importedSetOf(imported, stale?.decisions.imported ?? null) };
    if (this.generation === generation) {
      this.cache.set(client, {
        index,
        decisions,
        answer: Promise.resolve(decisions),
        activities,
        served: new Map(),
        revision,
        checkedAt: startedAt,
        compiled,
      });
    }
    return decisions;
  }

  private async loadKeys(): Promise<readonly EventTokenKey[]> {
    if (this.options.eventTokenKeys?.length) return Object.freeze([...this.options.eventTokenKeys]);
    const candidate = randomBytes(32).toString('base64');
    const stored = await this.store.serverSecret(EVENT_TOKEN_KEY_SECRET, candidate, this.clock.now());
    return Object.freeze([Buffer.from(stored, 'base64')]);
  }
}

/** The stored artifact compiled, reusing the previous compilation of the same version. */
function importedSetOf(record: ImportedArtifactRecord | null, previous: ImportedSet | null): ImportedSet | null {
  if (!record) return null;
  if (previous && previous.record.version === record.version && previous.record.importedAt === record.importedAt) return previous;
  const artifact = readAdobeArtifact(JSON.parse(record.body));
  return { record, artifact, decisions: compileImportedArtifact(artifact), catalogue: catalogueOf(artifact) };
}

export function assertActivityId(id: string): void {
  if (!ACTIVITY_ID_PATTERN.test(id)) {
    throw new BadRequestError(
      `activity id '${id.slice(0, 80)}' is invalid: use 1 to 64 letters, digits, '_' or '-'`,
      'invalid_activity_id',
    );
  }
}
