import type { IdKind } from '../../domain/identity.js';
import { type FoundId, type IdCounts, refusalError, resolveIds, tooManyIds } from '../../domain/profile-write.js';
import { planVisit, type VisitedProfile, type VisitPlan } from '../../domain/visit-plan.js';
import type { RecordedVisit, VisitsStore, VisitWrite } from '../../features/delivery/visits-store.js';
import { countedGroupsOf, decodeCounted, encodeCounted, type TotalIncrement, totalIncrements } from '../counted-rows.js';
import { encodeAttributes, encodeSession, mintProfileKey, recordedVisit, toVisitedProfile, type VisitRow } from '../profile-rows.js';
import type { SqliteDatabase } from './database.js';

/** The id's profile row (LEFT JOIN: its columns are null when the row no longer exists). */
interface VisitedRow extends Omit<VisitRow, 'attributes'> {
  attributes: string | null;
  identified: number;
  /** What the profile has been counted in (counted-rows.ts), null when nothing. */
  counted: string | null;
}

/** A visit refused by its plan (e.g. over 64 KB) or by its own `apply`: nothing of it was written. */
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
 * on a virtual disk the fixed cost of a commit outweighs the work of a visit. Each visit is
 * planned whole (planVisit: merges, `apply`, the size limit) before it writes anything, so one
 * refused visit leaves no trace and does not disturb its neighbours; a database failure fails the
 * whole group.
 *
 * Counting: what the visit counts (`counted`) is read with its plan, and written in the same
 * transaction — the notification ids first (`INSERT … ON CONFLICT DO NOTHING`: an id already
 * there, committed earlier or by a visit before it in the same group, skips its group), then
 * what the profile has been counted in, on its own row (`profiles.counted`, which decides whether
 * the visitor is new to an experience), and last, once per group, the group's increments of
 * `activity_totals`. Acknowledged counts are as durable as the visit; a failed group commit
 * counts nothing.
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
  private readonly rememberNotification;
  private readonly addTotals;
  private readonly idCountsOf;
  private pending: PendingVisit[] = [];

  constructor(private readonly db: SqliteDatabase) {
    this.visitedById = db.prepare<[string, IdKind, string], VisitedRow>(
      `SELECT i.profile_key, p.attributes, p.session_state, p.created_at, p.expires_at, p.counted,
              EXISTS (SELECT 1 FROM profile_ids t
                       WHERE t.client = i.client AND t.profile_key = i.profile_key AND t.id_kind = 'thirdPartyId') AS identified
         FROM profile_ids i LEFT JOIN profiles p ON p.client = i.client AND p.profile_key = i.profile_key
        WHERE i.client = ? AND i.id_kind = ? AND i.id_value = ?`,
    );
    this.insertProfile = db.prepare(
      `INSERT INTO profiles (client, profile_key, attributes, session_state, created_at, modified_at, expires_at, counted)
       VALUES (@client, @key, @attributes, @session, @createdAt, @modifiedAt, @expiresAt, @counted)`,
    );
    this.updateProfile = db.prepare(
      `UPDATE profiles SET attributes = @attributes, session_state = @session, modified_at = @modifiedAt, expires_at = @expiresAt,
                           counted = @counted
        WHERE client = @client AND profile_key = @key`,
    );
    // Naming expires_at in SET rewrites its index entry even when the value is unchanged; most
    // visits keep the expiry (it moves by the hour), so they skip that page write.
    this.updateProfileSameExpiry = db.prepare(
      `UPDATE profiles SET attributes = @attributes, session_state = @session, modified_at = @modifiedAt, counted = @counted
        WHERE client = @client AND profile_key = @key`,
    );
    this.linkId = db.prepare(
      `INSERT INTO profile_ids (client, id_kind, id_value, profile_key) VALUES (?, ?, ?, ?)
       ON CONFLICT (client, id_kind, id_value) DO UPDATE SET profile_key = excluded.profile_key`,
    );
    this.moveIds = db.prepare('UPDATE profile_ids SET profile_key = ? WHERE client = ? AND profile_key = ?');
    this.deleteIds = db.prepare('DELETE FROM profile_ids WHERE client = ? AND profile_key = ?');
    this.deleteProfile = db.prepare('DELETE FROM profiles WHERE client = ? AND profile_key = ?');
    this.rememberNotification = db.prepare(
      'INSERT INTO counted_notifications (client, notification_id, counted_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.addTotals = db.prepare(
      `INSERT INTO activity_totals (client, activity_id, experience_id, metric, visitors, events)
       VALUES (@client, @activityId, @experienceId, @metric, @visitors, @events)
       ON CONFLICT (client, activity_id, experience_id, metric)
       DO UPDATE SET visitors = visitors + excluded.visitors, events = events + excluded.events`,
    );
    this.idCountsOf = db.prepare<[string, string], { id_kind: IdKind; n: number }>(
      'SELECT id_kind, count(*) AS n FROM profile_ids WHERE client = ? AND profile_key = ? GROUP BY id_kind',
    );
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
        .transaction(() => {
          const totals = new Map<string, Map<string, TotalIncrement>>();
          const recorded = group.map(({ client, visit }) => this.recordLocked(client, visit, totalsOf(totals, client)));
          for (const [client, increments] of totals) {
            for (const increment of increments.values()) this.addTotals.run({ client, ...increment });
          }
          return recorded;
        })
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

  private recordLocked(client: string, visit: VisitWrite, totals: Map<string, TotalIncrement>): RecordedVisit | VisitRefused {
    // 1. Read and plan, writing nothing.
    const countedByKey = new Map<string, string | null>();
    const found = this.read(client, visit, countedByKey);
    let plan: VisitPlan<VisitedProfile>;
    let groups: ReturnType<typeof countedGroupsOf>;
    try {
      plan = planVisit(resolveIds(found, visit.now), visit);
      if (plan.kind === 'refused') return new VisitRefused(refusalError(plan.refusal));
      groups = countedGroupsOf(visit);
    } catch (error) {
      // Its own `apply` or `counted` gave up.
      return new VisitRefused(error);
    }
    if (visit.idCaps && (plan.link.length > 0 || plan.absorbed.length > 0)) {
      // Counted only when the visit gains ids, inside its transaction.
      const held = [...(plan.profile ? [plan.profile] : []), ...plan.absorbed].map(({ key }) => this.idCounts(client, key));
      if (!plan.profile) held.unshift({});
      const refusal = tooManyIds(
        held,
        plan.link.map(({ ref }) => ref),
        visit.idCaps,
      );
      if (refusal) return new VisitRefused(refusalError(refusal));
    }

    // 2. Count (its notification ids first), then write the plan.
    const counted = decodeCounted(plan.profile ? countedByKey.get(plan.profile.key) : null);
    for (const loser of plan.absorbed) decodeCounted(countedByKey.get(loser.key), counted);
    const counting = groups.filter(
      ({ notificationId }) =>
        notificationId === undefined || this.rememberNotification.run(client, notificationId, visit.now).changes === 1,
    );
    totalIncrements(counting, counted, totals);
    for (const { key } of plan.purge) {
      this.deleteIds.run(client, key);
      this.deleteProfile.run(client, key);
    }
    const key = plan.profile?.key ?? mintProfileKey();
    const row = {
      client,
      key,
      attributes: encodeAttributes(plan.attributes),
      session: encodeSession(plan.session),
      createdAt: plan.createdAt,
      modifiedAt: plan.modifiedAt,
      expiresAt: plan.expiresAt,
      counted: encodeCounted(counted),
    };
    if (!plan.profile) this.insertProfile.run(row);
    else if (plan.profile.expiresAt === plan.expiresAt) this.updateProfileSameExpiry.run(row);
    else this.updateProfile.run(row);
    for (const loser of plan.absorbed) {
      this.moveIds.run(key, client, loser.key);
      this.deleteProfile.run(client, loser.key);
    }
    for (const { ref } of plan.link) this.linkId.run(client, ref.kind, ref.value, key);
    // The groups not counted were replays.
    return recordedVisit(key, plan, groups.length - counting.length);
  }

  private idCounts(client: string, key: string): IdCounts {
    const counts: IdCounts = {};
    for (const row of this.idCountsOf.all(client, key)) counts[row.id_kind] = row.n;
    return counts;
  }

  /** The profiles the visit's ids point at; what each was counted in goes to `countedByKey`. */
  private read(client: string, visit: VisitWrite, countedByKey: Map<string, string | null>): FoundId<VisitedProfile>[] {
    const read = new Map<string, VisitedProfile | undefined>();
    return visit.refs.map((ref) => {
      const row = this.visitedById.get(client, ref.kind, ref.value);
      if (!row) return { ref, key: undefined, profile: undefined };
      if (!read.has(row.profile_key)) {
        // A null row: the id points at a profile row that no longer exists.
        read.set(row.profile_key, row.attributes === null ? undefined : toVisitedProfile(row as VisitRow, row.identified === 1));
        countedByKey.set(row.profile_key, row.counted);
      }
      return { ref, key: row.profile_key, profile: read.get(row.profile_key) };
    });
  }
}

/** The increments of `client` in this group's totals. */
function totalsOf(totals: Map<string, Map<string, TotalIncrement>>, client: string): Map<string, TotalIncrement> {
  let increments = totals.get(client);
  if (!increments) {
    increments = new Map();
    totals.set(client, increments);
  }
  return increments;
}
