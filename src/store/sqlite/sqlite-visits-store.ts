import { decodeAttributes, encodeAttributes, lastModified } from '../../domain/attributes.js';
import type { IdKind } from '../../domain/identity.js';
import type { SessionState } from '../../domain/sessions.js';
import { foldMergePlan, planVisitorMerge, type ResolvedId, type VisitorState } from '../../domain/visitor-merge.js';
import type { RecordedVisit, VisitsStore, VisitWrite } from '../../features/delivery/visits-store.js';
import type { SqliteDatabase } from './database.js';

interface VisitedRow {
  profile_key: string;
  /** Null when the id points at a profile row that no longer exists. */
  attributes: string | null;
  session_state: string | null;
  created_at: number;
  expires_at: number;
  identified: number;
}

type LiveRow = VisitedRow & { attributes: string };

function decodeSession(encoded: string | null): SessionState | null {
  if (encoded === null) return null;
  const session = JSON.parse(encoded) as Partial<SessionState>;
  if (typeof session.id !== 'string' || typeof session.lastSeenAt !== 'number' || typeof session.startedAt !== 'number') {
    return null;
  }
  return { id: session.id, startedAt: session.startedAt, lastSeenAt: session.lastSeenAt, previousVisitAt: session.previousVisitAt ?? null };
}

function stateOf(row: LiveRow): VisitorState {
  return { attributes: decodeAttributes(row.attributes), session: decodeSession(row.session_state) };
}

function newProfileKey(): string {
  return crypto.randomUUID().replace(/-/g, '');
}

/** A visit refused by its own `apply` (e.g. over 64 KB): nothing of it was written. */
class VisitRefused {
  constructor(readonly error: unknown) {}
}

interface PendingVisit {
  client: string;
  visit: VisitWrite;
  resolve: (recorded: RecordedVisit) => void;
  reject: (error: unknown) => void;
}

/**
 * Delivery visits on the embedded store.
 *
 * Each visit — id lookup, merge, profile parameters, session — runs inside a `BEGIN IMMEDIATE`
 * transaction, which takes SQLite's write lock before the first read: concurrent visits (other
 * requests, other processes on the same file) serialize, so two tabs carrying the same first
 * login cannot both create a profile for it.
 *
 * Group commit: the visits that arrive within one event-loop turn share one transaction, because
 * on a virtual disk the fixed cost of a commit outweighs the work of a visit. Each visit still
 * computes everything (merge and `apply`) before it writes anything, so one refused visit leaves
 * no trace and does not disturb its neighbours; a database failure fails the whole group.
 */
export class SqliteVisitsStore implements VisitsStore {
  private readonly visitedById;
  private readonly insertProfile;
  private readonly updateProfile;
  private readonly updateProfileSameExpiry;
  private readonly linkId;
  private readonly moveIds;
  private readonly deleteIds;
  private readonly deleteProfile;
  private pending: PendingVisit[] = [];

  constructor(private readonly db: SqliteDatabase) {
    this.visitedById = db.prepare<[string, IdKind, string], VisitedRow>(
      `SELECT i.profile_key, p.attributes, p.session_state, p.created_at, p.expires_at,
              EXISTS (SELECT 1 FROM profile_ids t
                       WHERE t.client = i.client AND t.profile_key = i.profile_key AND t.id_kind = 'thirdPartyId') AS identified
         FROM profile_ids i LEFT JOIN profiles p ON p.client = i.client AND p.profile_key = i.profile_key
        WHERE i.client = ? AND i.id_kind = ? AND i.id_value = ?`,
    );
    this.insertProfile = db.prepare(
      `INSERT INTO profiles (client, profile_key, attributes, session_state, created_at, modified_at, expires_at)
       VALUES (@client, @key, @attributes, @session, @createdAt, @modifiedAt, @expiresAt)`,
    );
    this.updateProfile = db.prepare(
      `UPDATE profiles SET attributes = @attributes, session_state = @session, modified_at = @modifiedAt, expires_at = @expiresAt
        WHERE client = @client AND profile_key = @key`,
    );
    // Naming expires_at in SET rewrites its index entry even when the value is unchanged; most
    // visits keep the expiry (it moves by the hour), so they skip that page write.
    this.updateProfileSameExpiry = db.prepare(
      `UPDATE profiles SET attributes = @attributes, session_state = @session, modified_at = @modifiedAt
        WHERE client = @client AND profile_key = @key`,
    );
    this.linkId = db.prepare(
      `INSERT INTO profile_ids (client, id_kind, id_value, profile_key) VALUES (?, ?, ?, ?)
       ON CONFLICT (client, id_kind, id_value) DO UPDATE SET profile_key = excluded.profile_key`,
    );
    this.moveIds = db.prepare('UPDATE profile_ids SET profile_key = ? WHERE client = ? AND profile_key = ?');
    this.deleteIds = db.prepare('DELETE FROM profile_ids WHERE client = ? AND profile_key = ?');
    this.deleteProfile = db.prepare('DELETE FROM profiles WHERE client = ? AND profile_key = ?');
  }

  recordVisit(client: string, visit: VisitWrite): Promise<RecordedVisit> {
    return new Promise((resolve, reject) => {
      if (this.pending.push({ client, visit, resolve, reject }) === 1) setImmediate(() => this.commitPending());
    });
  }

  private commitPending(): void {
    const group = this.pending;
    this.pending = [];
    let outcomes: Array<RecordedVisit | VisitRefused>;
    try {
      outcomes = this.db
        .transaction(() =>
          group.map(({ client, visit }) => {
            try {
              return this.recordLocked(client, visit);
            } catch (error) {
              if (error instanceof VisitRefused) return error;
              throw error;
            }
          }),
        )
        .immediate();
    } catch (error) {
      for (const { reject } of group) reject(error);
      return;
    }
    group.forEach(({ resolve, reject }, i) => {
      const outcome = outcomes[i]!;
      if (outcome instanceof VisitRefused) reject(outcome.error);
      else resolve(outcome);
    });
  }

  private recordLocked(client: string, visit: VisitWrite): RecordedVisit {
    // 1. Read: the live profile behind each id (expired ones are purged, as the sweep would).
    const rows = new Map<string, LiveRow>();
    const resolved: ResolvedId[] = visit.refs.map((ref) => {
      const row = this.visitedById.get(client, ref.kind, ref.value);
      if (!row || !this.isLive(client, row, visit.now)) return { ref, profile: null };
      rows.set(row.profile_key, row);
      return { ref, profile: { key: row.profile_key, identified: row.identified === 1 } };
    });

    // 2. Decide and compute, writing nothing: merges in memory, then the caller's changes.
    const plan = planVisitorMerge(resolved);
    const winnerRow = plan.winnerKey === null ? undefined : rows.get(plan.winnerKey);
    const folded = foldMergePlan(plan, (key) => stateOf(rows.get(key)!), visit.maxProfileBytes);
    let state: VisitorState = folded.state;
    const absorbed = folded.absorbed;
    try {
      state = visit.apply(state);
    } catch (error) {
      throw new VisitRefused(error);
    }

    // 3. Write.
    const key = plan.winnerKey ?? newProfileKey();
    const createdAt = winnerRow?.created_at ?? visit.now;
    const row = {
      client,
      key,
      attributes: encodeAttributes(state.attributes),
      session: state.session ? JSON.stringify(state.session) : null,
      createdAt,
      modifiedAt: lastModified(state.attributes, createdAt),
      expiresAt: visit.expiresAt,
    };
    if (!winnerRow) this.insertProfile.run(row);
    else if (winnerRow.expires_at === visit.expiresAt) this.updateProfileSameExpiry.run(row);
    else this.updateProfile.run(row);
    for (const loserKey of absorbed) {
      this.moveIds.run(key, client, loserKey);
      this.deleteProfile.run(client, loserKey);
    }
    for (const ref of plan.link) this.linkId.run(client, ref.kind, ref.value, key);
    return { key, created: !winnerRow, absorbed: absorbed.length, state };
  }

  /** A profile row that exists and has not expired; an expired one is purged now. */
  private isLive(client: string, row: VisitedRow, now: number): row is LiveRow {
    if (row.attributes === null) return false;
    if (row.expires_at > now) return true;
    this.deleteIds.run(client, row.profile_key);
    this.deleteProfile.run(client, row.profile_key);
    return false;
  }
}
