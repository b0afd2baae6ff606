import { decodeAttributes, encodeAttributes, lastModified } from '../../domain/attributes.js';
import type { IdKind } from '../../domain/identity.js';
import type { SessionState } from '../../domain/sessions.js';
import { mergeVisitorStates, planVisitorMerge, type ResolvedId, type VisitorState } from '../../domain/visitor-merge.js';
import type { RecordedVisit, VisitsStore, VisitWrite } from '../../features/delivery/visits-store.js';
import type { SqliteDatabase } from './database.js';

interface VisitedRow {
  attributes: string;
  session_state: string | null;
  created_at: number;
  expires_at: number;
}

function decodeSession(encoded: string | null): SessionState | null {
  if (encoded === null) return null;
  const session = JSON.parse(encoded) as Partial<SessionState>;
  if (typeof session.id !== 'string' || typeof session.lastSeenAt !== 'number' || typeof session.startedAt !== 'number') {
    return null;
  }
  return { id: session.id, startedAt: session.startedAt, lastSeenAt: session.lastSeenAt, previousVisitAt: session.previousVisitAt ?? null };
}

function stateOf(row: VisitedRow): VisitorState {
  return { attributes: decodeAttributes(row.attributes), session: decodeSession(row.session_state) };
}

function newProfileKey(): string {
  return crypto.randomUUID().replace(/-/g, '');
}

/**
 * Delivery visits on the embedded store. The whole visit — id lookup, merge, profile parameters,
 * session — is one `BEGIN IMMEDIATE` transaction, which takes SQLite's write lock before the
 * first read: concurrent visits (other requests, other processes on the same file) serialize, so
 * two tabs carrying the same first login cannot both create a profile for it.
 */
export class SqliteVisitsStore implements VisitsStore {
  private readonly keyOf;
  private readonly profileByKey;
  private readonly isIdentified;
  private readonly upsertProfile;
  private readonly linkId;
  private readonly moveIds;
  private readonly deleteIds;
  private readonly deleteProfile;

  constructor(private readonly db: SqliteDatabase) {
    this.keyOf = db
      .prepare<[string, IdKind, string], string>(
        'SELECT profile_key FROM profile_ids WHERE client = ? AND id_kind = ? AND id_value = ?',
      )
      .pluck();
    this.profileByKey = db.prepare<[string, string], VisitedRow>(
      'SELECT attributes, session_state, created_at, expires_at FROM profiles WHERE client = ? AND profile_key = ?',
    );
    this.isIdentified = db
      .prepare<[string, string], number>(
        "SELECT 1 FROM profile_ids WHERE client = ? AND profile_key = ? AND id_kind = 'thirdPartyId' LIMIT 1",
      )
      .pluck();
    this.upsertProfile = db.prepare(
      `INSERT INTO profiles (client, profile_key, attributes, session_state, created_at, modified_at, expires_at)
       VALUES (@client, @key, @attributes, @session, @createdAt, @modifiedAt, @expiresAt)
       ON CONFLICT (client, profile_key) DO UPDATE SET
         attributes = excluded.attributes, session_state = excluded.session_state,
         modified_at = excluded.modified_at, expires_at = excluded.expires_at`,
    );
    this.linkId = db.prepare(
      `INSERT INTO profile_ids (client, id_kind, id_value, profile_key) VALUES (?, ?, ?, ?)
       ON CONFLICT (client, id_kind, id_value) DO UPDATE SET profile_key = excluded.profile_key`,
    );
    this.moveIds = db.prepare('UPDATE profile_ids SET profile_key = ? WHERE client = ? AND profile_key = ?');
    this.deleteIds = db.prepare('DELETE FROM profile_ids WHERE client = ? AND profile_key = ?');
    this.deleteProfile = db.prepare('DELETE FROM profiles WHERE client = ? AND profile_key = ?');
  }

  async recordVisit(client: string, visit: VisitWrite): Promise<RecordedVisit> {
    return this.db.transaction(() => this.recordLocked(client, visit)).immediate();
  }

  private recordLocked(client: string, visit: VisitWrite): RecordedVisit {
    const rows = new Map<string, VisitedRow>();
    const resolved: ResolvedId[] = visit.refs.map((ref) => {
      const key = this.keyOf.get(client, ref.kind, ref.value);
      if (key === undefined) return { ref, profile: null };
      if (!rows.has(key)) {
        const row = this.liveProfile(client, key, visit.now);
        if (!row) return { ref, profile: null };
        rows.set(key, row);
      }
      return { ref, profile: { key, identified: this.isIdentified.get(client, key) !== undefined } };
    });

    const plan = planVisitorMerge(resolved);
    const winnerRow = plan.winnerKey === null ? undefined : rows.get(plan.winnerKey);
    const key = plan.winnerKey ?? newProfileKey();
    let state: VisitorState = winnerRow ? stateOf(winnerRow) : { attributes: new Map(), session: null };
    let absorbed = 0;
    for (const loserKey of plan.absorbKeys) {
      const merged = mergeVisitorStates(state, stateOf(rows.get(loserKey)!), visit.maxProfileBytes);
      if (!merged) continue; // too large together: the loser keeps its data; the plan re-points this request's ids
      state = merged;
      this.moveIds.run(key, client, loserKey);
      this.deleteProfile.run(client, loserKey);
      absorbed++;
    }

    state = visit.apply(state);
    const createdAt = winnerRow?.created_at ?? visit.now;
    this.upsertProfile.run({
      client,
      key,
      attributes: encodeAttributes(state.attributes),
      session: state.session ? JSON.stringify(state.session) : null,
      createdAt,
      modifiedAt: lastModified(state.attributes, createdAt),
      expiresAt: visit.expiresAt,
    });
    for (const ref of plan.link) this.linkId.run(client, ref.kind, ref.value, key);
    return { key, created: !winnerRow, absorbed, state };
  }

  /** The profile row, or undefined when missing or expired (an expired one is purged now). */
  private liveProfile(client: string, key: string, now: number): VisitedRow | undefined {
    const row = this.profileByKey.get(client, key);
    if (row && row.expires_at <= now) {
      this.deleteIds.run(client, key);
      this.deleteProfile.run(client, key);
      return undefined;
    }
    return row;
  }
}
