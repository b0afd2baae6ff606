/**
 * Mixed traffic against a running profile-edge, shared by the crash tests (test/crash-load.test.ts),
 * the fault runs and the soak (scripts/soak.ts): single updates, Delivery calls with profile
 * parameters that execute a live activity (an impression each), click notifications (a conversion
 * each), logins that merge an anonymous visitor into a known profile, small batch uploads, and
 * profile fetches.
 *
 * Every write is kept in a ledger: acknowledged (a 2xx answer), or in doubt (sent, but the server
 * died or the connection broke before an answer: it may or may not be stored). After a kill and a
 * restart, `verify()` checks that every acknowledged write is there and that counters hold exactly
 * what was acknowledged, up to the writes in doubt; nothing is counted twice.
 *
 * Each worker owns its own keys and sends one request at a time, so that two writes to one key
 * are never in flight together and "the last acknowledged value" is well defined.
 */

export interface MixedLoadTarget {
  url: string;
  adminKey: string;
  demoToken: string;
  client?: string;
}

export type Operation = 'update' | 'deliver' | 'notify' | 'merge' | 'batch' | 'fetch';

/** How often each operation is picked (weights, need not add up to anything). */
export type OperationMix = Record<Operation, number>;

export const DEFAULT_MIX: OperationMix = { update: 30, deliver: 30, notify: 15, merge: 5, batch: 1, fetch: 19 };

export interface MixedLoadOptions {
  /** Concurrent workers (each one request at a time). */
  workers: number;
  /** Requests per second over all workers; 0 = as fast as the workers go. */
  ratePerSecond: number;
  mix?: OperationMix;
  /** Rows of each batch upload. */
  batchRows?: number;
  /** Profiles each worker updates (created through the admin API by `prepare`). */
  profilesPerWorker?: number;
  /** Distinguishes the keys of several loads on one server (a restart continues with another). */
  runId?: string;
  /** Request timeout, ms. */
  timeoutMs?: number;
  /** The click token of an activity prepared by an earlier load on the same server (skips creating it again). */
  clickToken?: string;
}

/** One request's outcome: its operation, status (0 = no answer) and latency. */
export interface Sample {
  operation: Operation;
  status: number;
  ms: number;
  at: number;
}

/** What a worker knows of one key: the value last acknowledged, and the one in doubt. */
interface KeyState {
  acknowledged: string | null;
  inDoubt: string[];
}

export interface Ledger {
  /** tntId of an admin-created profile → the `n` attribute of its single updates. */
  updates: Map<string, KeyState>;
  /** tntId of a delivered visitor → its `n` profile parameter. */
  visits: Map<string, KeyState>;
  /** Delivery calls answered 200 that executed the activity (an impression each), and those in doubt. */
  impressions: { acknowledged: number; inDoubt: number };
  /** Notification ids answered 200, and those in doubt. */
  notifications: { acknowledged: Set<string>; inDoubt: Set<string> };
  /** thirdPartyId → tntId of the anonymous visitor merged into it. */
  merges: Map<string, { tntId: string; acknowledged: boolean }>;
  /** Accepted batches (batchId → rows and its first key) and uploads in doubt. */
  batches: Map<string, { rows: number; prefix: string }>;
  batchesInDoubt: number;
  /** The click metric's event token the notifications carry. */
  clickToken: string;
}

export const ACTIVITY_ID = 'mixed-load';
const LOCATION = 'mixed-promo';

export const MIXED_LOAD_ACTIVITY = {
  name: 'Mixed load',
  type: 'ab',
  state: 'live',
  priority: 0,
  experiences: [{ id: 'A', allocation: 100, offers: { [LOCATION]: { type: 'html', content: 'A' } } }],
  metrics: [{ name: 'buy', type: 'click', location: 'mixed-buy' }],
};

export function emptyLedger(): Ledger {
  return {
    updates: new Map(),
    visits: new Map(),
    impressions: { acknowledged: 0, inDoubt: 0 },
    notifications: { acknowledged: new Set(), inDoubt: new Set() },
    merges: new Map(),
    batches: new Map(),
    batchesInDoubt: 0,
    clickToken: '',
  };
}

async function call(
  target: MixedLoadTarget,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; body?: string; timeoutMs?: number } = {},
): Promise<{ status: number; text: string; retryAfter: string | null }> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(target.url + path, {
    method,
    headers,
    body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  return { status: response.status, text: await response.text(), retryAfter: response.headers.get('retry-after') };
}

/**
 * Creates (or replaces) the live activity every Delivery call executes and reads the click
 * metric's event token from one call; returns it.
 */
export async function prepareActivity(target: MixedLoadTarget): Promise<string> {
  const client = target.client ?? 'demo';
  const put = await call(target, 'PUT', `/admin/v1/clients/${client}/activities/${ACTIVITY_ID}`, {
    token: target.adminKey,
    json: MIXED_LOAD_ACTIVITY,
  });
  if (put.status !== 200 && put.status !== 201) throw new Error(`activity: ${put.status} ${put.text}`);
  for (let attempt = 0; attempt < 50; attempt++) {
    const answer = await call(target, 'POST', `/rest/v1/delivery?client=${client}&sessionId=probe`, {
      json: { context: { channel: 'web' }, id: { tntId: 'mixed-load-probe' }, prefetch: { mboxes: [{ index: 0, name: LOCATION }] } },
    });
    const document = JSON.parse(answer.text) as {
      prefetch?: { mboxes?: Array<{ metrics?: Array<{ type: string; eventToken: string }> }> };
    };
    const click = document.prefetch?.mboxes?.[0]?.metrics?.find((metric) => metric.type === 'click');
    if (click) return click.eventToken;
    // Another worker's or node's index may not have the activity yet.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no click metric token in the prefetch answer');
}

/**
 * A write answered 5xx, or not at all, is in doubt: a connection lost during a COMMIT leaves the
 * server unable to say whether it happened. A 4xx was refused.
 */
export const inDoubt = (status: number) => status === 0 || status >= 500;

/** Pending-or-answered bookkeeping of one write. */
function settle(state: KeyState, value: string, status: number): void {
  if (status >= 200 && status < 300) {
    state.acknowledged = value;
    state.inDoubt = [];
  } else if (inDoubt(status)) {
    state.inDoubt.push(value);
  }
}

export class MixedLoad {
  readonly ledger: Ledger = emptyLedger();
  readonly samples: Sample[] = [];
  /** Requests answered 2xx so far. */
  acknowledged = 0;
  /** 503 answers without a Retry-After header (there must be none). */
  unavailableWithoutRetryAfter = 0;
  /** Answers other than 2xx (status → count); 0 = no answer (connection refused, reset, timeout). */
  readonly failures = new Map<number, number>();
  private stopped = false;
  private running: Promise<void> | null = null;
  private seq = 0;
  /** Per worker: how many updates and fetches it sent (each goes to the next of its profiles). */
  private readonly turns = new Map<string, number>();
  private readonly mix: OperationMix;
  private readonly client: string;
  private readonly runId: string;
  /** Sample only the answers, never keep them all: a 15-minute soak sends hundreds of thousands. */
  onSample: ((sample: Sample) => void) | null = null;

  constructor(
    private readonly target: MixedLoadTarget,
    private readonly options: MixedLoadOptions,
  ) {
    this.mix = options.mix ?? DEFAULT_MIX;
    this.client = target.client ?? 'demo';
    this.runId = options.runId ?? 'r0';
  }

  /** The activity, and the profiles single updates and merges need. */
  async prepare(): Promise<void> {
    this.ledger.clickToken = this.options.clickToken ?? (await prepareActivity(this.target));
    const perWorker = this.options.profilesPerWorker ?? 20;
    for (let w = 0; w < this.options.workers; w++) {
      for (let k = 0; k < perWorker; k++) {
        const tntId = this.updateKey(w, k);
        const created = await call(this.target, 'POST', `/admin/v1/clients/${this.client}/profiles`, {
          token: this.target.adminKey,
          json: { tntId, attributes: { n: 'start' } },
        });
        if (created.status !== 201 && created.status !== 200) throw new Error(`profile ${tntId}: ${created.status} ${created.text}`);
        this.ledger.updates.set(tntId, { acknowledged: 'start', inDoubt: [] });
      }
    }
  }

  /** Starts the workers; `stop()` ends them after their request in flight. */
  start(): void {
    this.stopped = false;
    const startedAt = performance.now();
    const interval = this.options.ratePerSecond > 0 ? 1000 / this.options.ratePerSecond : 0;
    let scheduled = 0;
    const worker = async (w: number) => {
      let round = 0;
      while (!this.stopped) {
        if (interval > 0) {
          // One shared schedule: request n is due at startedAt + n × interval.
          const due = startedAt + scheduled++ * interval;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          if (this.stopped) break;
        }
        await this.one(w, round++);
      }
    };
    this.running = Promise.all(Array.from({ length: this.options.workers }, (_, w) => worker(w))).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private updateKey(w: number, k: number): string {
    return `ml-${this.runId}-u${w}-${k}`;
  }

  /** The next of worker w's profiles for this kind of call: each is written every `profilesPerWorker` updates. */
  private nextKey(kind: 'update' | 'fetch', w: number): string {
    const turn = this.turns.get(`${kind}${w}`) ?? 0;
    this.turns.set(`${kind}${w}`, turn + 1);
    return this.updateKey(w, turn % (this.options.profilesPerWorker ?? 20));
  }

  private pick(): Operation {
    const entries = Object.entries(this.mix) as Array<[Operation, number]>;
    let roll = Math.random() * entries.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [operation, weight] of entries) {
      roll -= weight;
      if (roll < 0) return operation;
    }
    return entries[0]![0];
  }

  private async one(w: number, round: number): Promise<void> {
    const operation = this.pick();
    const n = ++this.seq;
    const started = performance.now();
    let status = 0;
    try {
      status = await this.send(operation, w, round, n);
    } catch {
      status = 0;
    }
    const sample = { operation, status, ms: performance.now() - started, at: Date.now() };
    if (status >= 200 && status < 300) this.acknowledged++;
    if (status < 200 || status >= 300) this.failures.set(status, (this.failures.get(status) ?? 0) + 1);
    this.onSample?.(sample);
    if (!this.onSample) this.samples.push(sample);
  }

  /** Sends one operation and books it; answers its status (throws when no answer came). */
  private async send(operation: Operation, w: number, round: number, n: number): Promise<number> {
    const { client, ledger, target } = this;
    const timeoutMs = this.options.timeoutMs;
    switch (operation) {
      case 'update': {
        const tntId = this.nextKey('update', w);
        const state = ledger.updates.get(tntId) ?? { acknowledged: null, inDoubt: [] };
        ledger.updates.set(tntId, state);
        const value = `v${n}`;
        const answer = await this.booked(state, value, () =>
          this.request('GET', `/m2/${client}/profile/update?mboxPC=${tntId}&profile.n=${value}`, { token: target.demoToken, timeoutMs }),
        );
        return answer;
      }
      case 'deliver': {
        // A new visitor every few rounds (profiles created), otherwise a returning one.
        const tntId = `ml-${this.runId}-d${w}-${Math.floor(round / 3)}`;
        const state = ledger.visits.get(tntId) ?? { acknowledged: null, inDoubt: [] };
        ledger.visits.set(tntId, state);
        const value = `p${n}`;
        let counted = false;
        let status = 0;
        try {
          status = await this.booked(state, value, async () => {
            const answer = await this.request('POST', `/rest/v1/delivery?client=${client}&sessionId=ml-${w}`, {
              json: {
                context: { channel: 'web' },
                id: { tntId },
                execute: { mboxes: [{ index: 0, name: LOCATION, profileParameters: { n: value } }] },
              },
              timeoutMs,
            });
            counted = answer.status === 200 && answer.text.includes('"content":"A"');
            return answer;
          });
        } catch (error) {
          ledger.impressions.inDoubt++;
          throw error;
        }
        if (counted) ledger.impressions.acknowledged++;
        else if (inDoubt(status)) ledger.impressions.inDoubt++;
        else if (status === 200) throw new Error('a delivery answered 200 without executing the activity');
        return status;
      }
      case 'notify': {
        const id = `ml-${this.runId}-n${n}`;
        const answer = await this.maybe(
          () =>
            this.request('POST', `/rest/v1/delivery?client=${client}&sessionId=ml-${w}`, {
              json: {
                context: { channel: 'web' },
                id: { tntId: `ml-${this.runId}-d${w}-${Math.floor(round / 3)}` },
                notifications: [{ id, type: 'click', timestamp: Date.now(), mbox: { name: 'mixed-buy' }, tokens: [ledger.clickToken] }],
              },
              timeoutMs,
            }),
          () => ledger.notifications.inDoubt.add(id),
        );
        if (answer === 200) ledger.notifications.acknowledged.add(id);
        else if (inDoubt(answer)) ledger.notifications.inDoubt.add(id);
        return answer;
      }
      case 'merge': {
        // An anonymous visitor logs in as a known profile (created first): the two are merged.
        const thirdPartyId = `ml-${this.runId}-c${n}`;
        const anonymous = `ml-${this.runId}-a${n}`;
        const first = await this.request('POST', `/rest/v1/delivery?client=${client}&sessionId=ml-a${n}`, {
          json: { context: { channel: 'web' }, id: { tntId: anonymous }, execute: { pageLoad: { profileParameters: { anon: 'yes' } } } },
          timeoutMs,
        });
        if (first.status !== 200) return first.status;
        const known = await this.request('POST', `/admin/v1/clients/${client}/profiles`, {
          token: target.adminKey,
          json: { thirdPartyId, attributes: { known: 'yes' } },
          timeoutMs,
        });
        if (known.status !== 201 && known.status !== 200) return known.status;
        const entry = { tntId: anonymous, acknowledged: false };
        const status = await this.maybe(
          async () => {
            const answer = await this.request('POST', `/rest/v1/delivery?client=${client}&sessionId=ml-a${n}`, {
              json: { context: { channel: 'web' }, id: { tntId: anonymous, thirdPartyId }, execute: { pageLoad: {} } },
              timeoutMs,
            });
            return answer;
          },
          () => undefined,
        );
        if (status === 200) {
          entry.acknowledged = true;
          ledger.merges.set(thirdPartyId, entry);
        }
        return status;
      }
      case 'batch': {
        const rows = this.options.batchRows ?? 50;
        const prefix = `ml-${this.runId}-b${n}`;
        const body = `batch=pcId,n\n${Array.from({ length: rows }, (_, i) => `${prefix}-${i},${i}`).join('\n')}\n`;
        let batchId: string | undefined;
        const status = await this.maybe(
          async () => {
            const answer = await this.request('POST', `/m2/${client}/v2/profile/batchUpdate`, { token: target.demoToken, body, timeoutMs });
            batchId = /batchId=([^<&]+)/.exec(answer.text)?.[1];
            return answer;
          },
          () => ledger.batchesInDoubt++,
        );
        if (status === 200 && batchId) ledger.batches.set(batchId, { rows, prefix });
        else if (inDoubt(status)) ledger.batchesInDoubt++;
        return status;
      }
      case 'fetch': {
        const tntId = this.nextKey('fetch', w);
        return (await this.request('GET', `/rest/v1/profiles/${tntId}?client=${client}`, { token: target.demoToken, timeoutMs })).status;
      }
    }
  }

  /** One call of the load; a 503 must say when to come back. */
  private async request(...args: Parameters<typeof call> extends [unknown, ...infer Rest] ? Rest : never) {
    const answer = await call(this.target, ...args);
    if (answer.status === 503 && answer.retryAfter === null) this.unavailableWithoutRetryAfter++;
    return answer;
  }

  /** A keyed write: booked acknowledged or in doubt; answers the status. */
  private async booked(state: KeyState, value: string, send: () => Promise<{ status: number }>): Promise<number> {
    let status = 0;
    try {
      status = (await send()).status;
    } catch (error) {
      settle(state, value, 0);
      throw error;
    }
    settle(state, value, status);
    return status;
  }

  /** An unkeyed write: `inDoubt()` when no answer came; answers the status. */
  private async maybe(send: () => Promise<{ status: number }>, inDoubt: () => void): Promise<number> {
    try {
      return (await send()).status;
    } catch (error) {
      inDoubt();
      throw error;
    }
  }
}

/** The p-th percentile (0–100) of some numbers; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface Verdict {
  problems: string[];
  checked: { updates: number; visits: number; notifications: number; merges: number; batches: number; impressions: number };
}

/**
 * After a restart: every acknowledged write is there (a value in doubt may be there instead, never
 * an older one), impressions are between what was acknowledged and that plus those in doubt,
 * batches complete with exact counters, merges kept, and once every notification sent is sent
 * again (as Adobe's SDK retries), conversions equal the distinct notifications exactly.
 */
export async function verifyLedger(target: MixedLoadTarget, ledgers: readonly Ledger[], timeoutMs = 120_000): Promise<Verdict> {
  const client = target.client ?? 'demo';
  const problems: string[] = [];
  const attribute = async (path: string, name: string): Promise<string | null | undefined> => {
    const answer = await call(target, 'GET', `${path}${path.includes('?') ? '&' : '?'}client=${client}`, { token: target.demoToken });
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${answer.text}`);
    return (JSON.parse(answer.text) as { profileAttributes: Record<string, { value: string }> }).profileAttributes[name]?.value ?? null;
  };
  const checkKeyed = async (states: Map<string, KeyState>, what: string, name: string) => {
    for (const [tntId, state] of states) {
      const stored = await attribute(`/rest/v1/profiles/${tntId}`, name);
      const allowed = [state.acknowledged, ...state.inDoubt];
      if (state.acknowledged === null && (stored === undefined || stored === null)) continue;
      if (!allowed.includes(stored ?? null)) problems.push(`${what} ${tntId}: stored ${stored}, acknowledged ${state.acknowledged}`);
    }
  };
  let updates = 0;
  let visits = 0;
  let merges = 0;
  let batches = 0;
  const impressions = { acknowledged: 0, inDoubt: 0 };
  const notificationIds = new Set<string>();
  let acknowledgedNotifications = 0;
  for (const ledger of ledgers) {
    await checkKeyed(ledger.updates, 'update', 'n');
    await checkKeyed(ledger.visits, 'visit', 'n');
    updates += ledger.updates.size;
    visits += ledger.visits.size;
    impressions.acknowledged += ledger.impressions.acknowledged;
    impressions.inDoubt += ledger.impressions.inDoubt;
    for (const id of ledger.notifications.acknowledged) notificationIds.add(id);
    for (const id of ledger.notifications.inDoubt) notificationIds.add(id);
    acknowledgedNotifications += ledger.notifications.acknowledged.size;
    for (const [thirdPartyId, merge] of ledger.merges) {
      if (!merge.acknowledged) continue;
      merges++;
      const known = await attribute(`/rest/v1/profiles/thirdPartyId/${thirdPartyId}`, 'anon');
      if (known !== 'yes') problems.push(`merge ${thirdPartyId}: the anonymous visitor's attribute is ${known}`);
    }
    for (const [batchId, batch] of ledger.batches) {
      batches++;
      const deadline = Date.now() + timeoutMs;
      let xml = '';
      for (;;) {
        xml = (
          await call(target, 'GET', `/m2/${client}/profile/batchStatus?batchId=${batchId}&showDetails=true`, { token: target.demoToken })
        ).text;
        if (!xml.includes('<status>incomplete</status>') || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
      if (field('status') !== 'complete' || field('successfulUpdates') !== String(batch.rows) || field('failedUpdates') !== '0') {
        problems.push(`batch ${batchId}: ${xml}`);
      }
      const last = await attribute(`/rest/v1/profiles/${batch.prefix}-${batch.rows - 1}`, 'n');
      if (last !== String(batch.rows - 1)) problems.push(`batch ${batchId}: its last row is ${last}`);
    }
  }
  const report = async () => {
    const answer = await call(target, 'GET', `/admin/v1/clients/${client}/activities/${ACTIVITY_ID}/report`, { token: target.adminKey });
    const document = JSON.parse(answer.text) as {
      experiences: Array<{ id: string; impressions: number; metrics: Record<string, { conversions: number }> }>;
    };
    const a = document.experiences.find((experience) => experience.id === 'A');
    return { impressions: a?.impressions ?? 0, conversions: a?.metrics.buy?.conversions ?? 0 };
  };
  const counted = await report();
  if (counted.impressions < impressions.acknowledged || counted.impressions > impressions.acknowledged + impressions.inDoubt) {
    problems.push(`impressions: ${counted.impressions} counted, ${impressions.acknowledged} acknowledged, ${impressions.inDoubt} in doubt`);
  }
  if (counted.conversions < acknowledgedNotifications || counted.conversions > notificationIds.size) {
    problems.push(`conversions: ${counted.conversions} counted, ${acknowledgedNotifications} acknowledged, ${notificationIds.size} sent`);
  }
  // The SDK's retry: every notification sent once more. Each is then counted exactly once.
  const ids = [...notificationIds];
  for (let i = 0; i < ids.length; i += 20) {
    const group = ids.slice(i, i + 20);
    const answer = await call(target, 'POST', `/rest/v1/delivery?client=${client}&sessionId=replay`, {
      json: {
        context: { channel: 'web' },
        id: { tntId: 'ml-replayer' },
        notifications: group.map((id) => ({
          id,
          type: 'click',
          timestamp: Date.now(),
          mbox: { name: 'mixed-buy' },
          tokens: [ledgers[0]!.clickToken],
        })),
      },
    });
    if (answer.status !== 200) problems.push(`replay: ${answer.status} ${answer.text}`);
  }
  const replayed = await report();
  if (replayed.conversions !== notificationIds.size) {
    problems.push(`conversions after the replay: ${replayed.conversions}, ${notificationIds.size} distinct notifications sent`);
  }
  return {
    problems,
    checked: { updates, visits, notifications: notificationIds.size, merges, batches, impressions: counted.impressions },
  };
}
