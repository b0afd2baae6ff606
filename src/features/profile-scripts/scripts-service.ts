import { performance } from 'node:perf_hooks';
import type { AttributeMap, AttributeWrite } from '../../domain/attributes.js';
import { applyWrites } from '../../domain/attributes.js';
import { categoriesOf, withCategoryViews } from '../../domain/category-affinity.js';
import type { Clock } from '../../domain/clock.js';
import { RESERVED_SCRIPT_NAMES, SCRIPT_NAME_PATTERN, scriptAttribute, localAttribute } from '../../domain/script-writes.js';
import { recordSessionVisit } from '../../domain/sessions.js';
import { BadRequestError, ConflictError, NotFoundError } from '../../errors.js';
import type { ActivityChangeFeed, ActivityRecord } from '../activities/activities-store.js';
import type { DeliveryContext } from '../decisioning/context.js';
import { ClientSandbox, DEFAULT_SANDBOX_LIMITS, type SandboxLimits, type ScriptFailure } from './sandbox/client-sandbox.js';
import { readsOfSource, type RunFailure, type RunnableScript, runScripts, type ScriptLocation } from './script-runs.js';
import type { ProfileScriptRecord, ProfileScriptsStore } from './scripts-store.js';

/** The longest script source (Target's editor takes about 2,000 characters). */
export const MAX_SCRIPT_SOURCE_LENGTH = 10_000;

export interface ScriptsServiceOptions {
  limits?: SandboxLimits;
  /** Without notifications: how long a client's scripts are used before their revision is read again. */
  pollMs?: number;
  /** With notifications: the longest they are trusted, should one go missing. */
  notifiedTrustMs?: number;
  /** Told of every script this process disabled (the /metrics counter). */
  onDisabled?: (reason: ScriptFailure['reason']) => void;
}

/** A client's active scripts, compiled into its sandbox: what a visit runs. */
export interface ClientScripts {
  readonly sandbox: ClientSandbox;
  readonly scripts: readonly RunnableScript[];
}

interface CachedScripts {
  /** Null: the client has no active script (the common case, and the cheapest). */
  readonly active: ClientScripts | null;
  readonly answer: Promise<ClientScripts | null>;
  revision: number;
  checkedAt: number;
}

/** What a trial run answers (docs/profile-scripts.md#trying-a-script). */
export interface TrialRun {
  result: string | null;
  attribute: string;
  wouldWrite: string | null;
  locals: Record<string, string>;
  error: ScriptFailure | null;
}

export interface TrialRequest {
  source?: string;
  attributes: AttributeMap;
  /** The visitor's id as a script sees it (`user.pcId`). */
  tntId: string;
  mbox?: { name: string; parameters?: Record<string, unknown> };
  profileParameters: AttributeWrite[];
  context: DeliveryContext;
}

/** The `var` names a JsonLogic condition reads (computed names are not followed). */
export function conditionVarNames(logic: unknown, names: Set<string> = new Set()): Set<string> {
  if (Array.isArray(logic)) {
    for (const item of logic) conditionVarNames(item, names);
  } else if (typeof logic === 'object' && logic !== null) {
    for (const [op, value] of Object.entries(logic)) {
      if (op === 'var') {
        const name = Array.isArray(value) ? value[0] : value;
        if (typeof name === 'string') names.add(name);
      }
      conditionVarNames(value, names);
    }
  }
  return names;
}

/** The activities whose conditions read `user.<name>` (or a part of it). */
export function activitiesReading(activities: readonly ActivityRecord[], name: string): string[] {
  const attribute = scriptAttribute(name);
  return activities
    .filter((activity) => {
      const names = conditionVarNames([
        activity.audience ?? null,
        ...activity.experiences.map((experience) => experience.audience ?? null),
      ]);
      for (const read of names) if (read === attribute || read.startsWith(`${attribute}.`)) return true;
      return false;
    })
    .map((activity) => activity.id);
}

export function assertScriptName(name: string): void {
  if (!SCRIPT_NAME_PATTERN.test(name)) {
    throw new BadRequestError(
      `script name '${name.slice(0, 80)}' is invalid: a letter, then up to 63 letters, digits or '_'`,
      'invalid_script_name',
    );
  }
  if (RESERVED_SCRIPT_NAMES.has(name)) {
    throw new BadRequestError(`script name '${name}' is reserved: user.${name} is kept by the server`, 'invalid_script_name');
  }
}

/**
 * Profile scripts: the admin API's reads and writes, the trial run, and each client's active
 * scripts compiled once per version into the client's sandbox, kept warm for every visit. Fresh
 * across workers and nodes as activities are (activities-service.ts): a write by this process
 * drops the client's set at once, PostgreSQL nodes hear each other's writes (NOTIFY), and without
 * notifications a set is used for at most `pollMs` before the client's revision is compared.
 * A script this process sees fail stops running here at once; the store records why, and every
 * other process drops it at its next check.
 */
export class ProfileScriptsService {
  private readonly cache = new Map<string, CachedScripts>();
  private readonly loading = new Map<string, Promise<ClientScripts | null>>();
  /** Each client's sandbox and compiled scripts by name, reused while the version is the same. */
  private readonly sandboxes = new Map<string, { sandbox: ClientSandbox; compiled: Map<string, RunnableScript> }>();
  private generation = 0;
  private readonly limits: SandboxLimits;
  private readonly pollMs: number;
  private readonly notifiedTrustMs: number;

  constructor(
    private readonly store: ProfileScriptsStore,
    private readonly clock: Clock,
    private readonly changes: ActivityChangeFeed,
    private readonly activities: { list(client: string): Promise<ActivityRecord[]> },
    private readonly options: ScriptsServiceOptions = {},
  ) {
    this.limits = options.limits ?? DEFAULT_SANDBOX_LIMITS;
    this.pollMs = options.pollMs ?? 500;
    this.notifiedTrustMs = options.notifiedTrustMs ?? 5_000;
    changes.subscribe((client) => this.invalidate(client));
  }

  get sandboxLimits(): SandboxLimits {
    return this.limits;
  }

  async list(client: string): Promise<ProfileScriptRecord[]> {
    return this.store.list(client);
  }

  async get(client: string, name: string): Promise<ProfileScriptRecord> {
    const script = SCRIPT_NAME_PATTERN.test(name) ? await this.store.get(client, name) : null;
    if (!script) throw new NotFoundError(`Client '${client}' has no profile script '${name.slice(0, 64)}'`, 'unknown_profile_script');
    return script;
  }

  /** Creates or replaces a script (clearing any disabled state); a source that does not compile is refused. */
  async put(
    client: string,
    name: string,
    body: { source: string; enabled?: boolean; description?: string | null },
  ): Promise<{ script: ProfileScriptRecord; created: boolean }> {
    assertScriptName(name);
    await this.assertCompiles(body.source);
    const result = await this.store.put(
      client,
      name,
      { source: body.source, enabled: body.enabled ?? true, description: body.description ?? null },
      this.clock.now(),
    );
    this.invalidate(client);
    return result;
  }

  /** Deletes a script; 409 while an activity's condition reads its attribute. Its attribute stays in profiles. */
  async delete(client: string, name: string): Promise<void> {
    await this.get(client, name);
    const readers = activitiesReading(await this.activities.list(client), name);
    if (readers.length > 0) {
      throw new ConflictError(
        `profile script '${name}' is in use: the conditions of activit${readers.length === 1 ? 'y' : 'ies'} ${readers
          .slice(0, 10)
          .map((id) => `'${id}'`)
          .join(', ')} read user.${name}`,
        'profile_script_in_use',
      );
    }
    const removed = await this.store.delete(client, name);
    this.invalidate(client);
    if (!removed) throw new NotFoundError(`Client '${client}' has no profile script '${name}'`, 'unknown_profile_script');
  }

  /**
   * Runs a script (the stored one, or `source`) for one location against a visitor's profile as
   * this request would leave it, in a sandbox of its own; stores nothing, disables nothing.
   */
  async tryRun(client: string, name: string, trial: TrialRequest): Promise<TrialRun> {
    assertScriptName(name);
    const source = trial.source ?? (await this.get(client, name)).source;
    const problem = await this.compileProblem(source);
    if (problem) throw new BadRequestError(`source does not compile: ${problem}`, 'invalid_profile_script');
    const sandbox = await ClientSandbox.create(this.limits);
    try {
      const compiled = sandbox.compile(source);
      if (!compiled.ok) throw new BadRequestError(`source does not compile: ${compiled.message}`, 'invalid_profile_script');
      const now = this.clock.now();
      const session = recordSessionVisit(trial.attributes, null, 'trial', now);
      let attributes = applyWrites(session.attributes, trial.profileParameters, now);
      const location: ScriptLocation = trial.mbox
        ? { kind: 'mbox', name: trial.mbox.name, ...(trial.mbox.parameters ? { parameters: trial.mbox.parameters } : {}) }
        : { kind: 'pageLoad' };
      attributes = withVisitCategories(attributes, [location], session.facts.isNewSession, now);
      const script: RunnableScript = { name, version: 0, compiled: compiled.script, failed: false };
      const runs = runScripts(
        sandbox,
        [script],
        { tntId: trial.tntId, sessionId: 'trial', facts: session.facts, context: trial.context, now },
        [location],
        attributes,
      );
      const failure = runs.failures[0];
      const result = runs.values.get(name) ?? null;
      const attribute = scriptAttribute(name);
      const written = runs.attributes.get(attribute)?.value;
      const locals: Record<string, string> = Object.create(null);
      const prefix = localAttribute(name, '');
      for (const [key, { value }] of runs.attributes) if (key.startsWith(prefix)) locals[key.slice(prefix.length)] = value;
      return {
        result: failure ? null : result,
        attribute,
        wouldWrite: !failure && written !== undefined && written !== attributes.get(attribute)?.value ? written : null,
        locals,
        error: failure ? { reason: failure.reason, message: failure.message } : null,
      };
    } finally {
      sandbox.dispose();
    }
  }

  /** The client's active scripts, compiled: the hot path's read; null when it has none. */
  forVisit(client: string): Promise<ClientScripts | null> {
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

  /** Records the scripts a visit saw fail as disabled, with their reasons (a failure is already out of this process's runs). */
  async disableFailed(client: string, failures: readonly RunFailure[]): Promise<void> {
    const now = this.clock.now();
    for (const failure of failures) {
      const disabled = await this.store.disable(client, failure.name, failure.version, failure.reason, failure.message, now);
      if (disabled) this.options.onDisabled?.(failure.reason);
    }
    if (failures.length > 0) this.invalidate(client);
  }

  async disabledCounts() {
    return this.store.disabledCounts();
  }

  invalidate(client: string | null): void {
    this.generation++;
    for (const [code, cached] of this.cache) if (client === null || code === client) cached.revision = Number.NaN;
    if (client === null) this.loading.clear();
    else this.loading.delete(client);
  }

  close(): void {
    for (const { sandbox } of this.sandboxes.values()) sandbox.dispose();
    this.sandboxes.clear();
    this.cache.clear();
  }

  private async assertCompiles(source: string): Promise<void> {
    if (source.length > MAX_SCRIPT_SOURCE_LENGTH) {
      throw new BadRequestError(
        `source is ${source.length} characters, over the ${MAX_SCRIPT_SOURCE_LENGTH}-character limit`,
        'invalid_profile_script',
      );
    }
    const problem = await this.compileProblem(source);
    if (problem) throw new BadRequestError(`source does not compile: ${problem}`, 'invalid_profile_script');
  }

  private async compileProblem(source: string): Promise<string | null> {
    const sandbox = await ClientSandbox.create(this.limits);
    try {
      const compiled = sandbox.compile(source);
      return compiled.ok ? null : compiled.message;
    } finally {
      sandbox.dispose();
    }
  }

  private isFresh(cached: CachedScripts): boolean {
    if (Number.isNaN(cached.revision)) return false;
    if (this.changes.kind === 'local') return true;
    const trustMs = this.changes.kind === 'notify' && this.changes.listening() ? this.notifiedTrustMs : this.pollMs;
    return performance.now() - cached.checkedAt < trustMs;
  }

  private async load(client: string, stale: CachedScripts | undefined): Promise<ClientScripts | null> {
    const generation = this.generation;
    const startedAt = performance.now();
    if (stale && !Number.isNaN(stale.revision)) {
      const revision = await this.store.revision(client);
      if (revision === stale.revision) {
        if (this.generation === generation) stale.checkedAt = startedAt;
        return stale.active;
      }
    }
    const { revision, scripts } = await this.store.snapshot(client);
    const active = await this.compileActive(
      client,
      scripts.filter((script) => script.enabled && script.disabledReason === null),
    );
    if (this.generation === generation) {
      this.cache.set(client, { active, answer: Promise.resolve(active), revision, checkedAt: startedAt });
    }
    return active;
  }

  /** Compiles what changed into the client's sandbox (created at its first script), releasing what is gone. */
  private async compileActive(client: string, records: readonly ProfileScriptRecord[]): Promise<ClientScripts | null> {
    let held = this.sandboxes.get(client);
    if (records.length === 0 && !held) return null;
    if (!held) {
      held = { sandbox: await ClientSandbox.create(this.limits), compiled: new Map() };
      this.sandboxes.set(client, held);
    }
    const { sandbox, compiled } = held;
    const next = new Map<string, RunnableScript>();
    for (const record of records) {
      const previous = compiled.get(record.name);
      if (previous && previous.version === record.version) {
        next.set(record.name, previous);
        continue;
      }
      const result = sandbox.compile(record.source);
      // Stored sources compiled when they were stored; one that no longer does (another QuickJS) is skipped.
      if (result.ok) {
        next.set(record.name, {
          name: record.name,
          version: record.version,
          compiled: result.script,
          failed: false,
          reads: readsOfSource(record.source),
        });
      }
    }
    for (const [name, script] of compiled) if (next.get(name) !== script) sandbox.release(script.compiled);
    held.compiled = next;
    return next.size === 0 ? null : { sandbox, scripts: [...next.values()] };
  }
}

/** The `user.categoryId` parameter of the request's locations, applied to the profile (category affinity). */
export function withVisitCategories(
  attributes: AttributeMap,
  locations: readonly { parameters?: Readonly<Record<string, unknown>> }[],
  isNewSession: boolean,
  now: number,
): AttributeMap {
  const categories: string[] = [];
  for (const location of locations) {
    const value = location.parameters?.['user.categoryId'];
    if (typeof value === 'string') categories.push(...categoriesOf(value));
  }
  return withCategoryViews(attributes, categories, isNewSession, now) ?? attributes;
}
