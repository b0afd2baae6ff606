import type { VisitorIdRef } from '../../domain/identity.js';
import { countIds, type FoundId, refusalError, resolveIds, tooManyIds } from '../../domain/profile-write.js';
import { planVisit, type VisitedProfile } from '../../domain/visit-plan.js';
import type { RecordedVisit, VisitsStore, VisitWrite } from '../../features/delivery/visits-store.js';
import {
  decodeIdList,
  encodeAttributes,
  encodeIdList,
  encodeSession,
  mintProfileKey,
  recordedVisit,
  toVisitedProfile,
  type VisitRow,
  withoutIds,
} from '../profile-rows.js';
import type { CountedGroup } from '../../features/delivery/visits-store.js';
import { countedGroupsOf, counterIncrements } from '../counted-rows.js';
import { inTransaction, type PgClient, type PgPool } from './database.js';
import { linkUnknownId, type ListedProfile, purgeProfiles, repointIds } from './id-lists.js';

interface PgVisitRow extends VisitRow {
  /** The profile's ids (profile-rows.ts). */
  ids: string;
}

/** A profile row as the planner sees it, with its id list (rewritten when it gains or loses ids). */
interface PgVisitedProfile extends VisitedProfile, ListedProfile {}

function toPlanned(row: PgVisitRow): PgVisitedProfile {
  const identified = decodeIdList(row.ids).some((known) => known.kind === 'thirdPartyId');
  return Object.assign(toVisitedProfile(row, identified), { ids: row.ids });
}

/**
 * Delivery visits on PostgreSQL, safe across processes (the plan in visits-store.ts).
 *
 * A visit locks the id rows and the profile rows it reads (`FOR UPDATE`, which also serializes it
 * with single updates and batch chunks), asks `planVisit` (src/domain/visit-plan.ts) what to do,
 * and writes the plan. Every id it found unknown is linked with `INSERT … ON CONFLICT DO NOTHING`
 * (linkUnknownId): if another transaction created
 * it meanwhile (the same first login on another node), the insert waits for that transaction and
 * then restarts this one, which finds the new profile and merges into it. Row locks and the id
 * table's primary key are therefore all that correctness needs, on one server or on Citus.
 *
 * First, unless `lockIds` is off, the visit also takes a transaction-scoped advisory lock on a
 * hash of each of its ids, in sorted order, so that concurrent visits of one visitor queue up
 * instead of racing, restarting and deadlocking. Advisory locks are per PostgreSQL server: on
 * Citus with several coordinators they only queue the visits that go through the same one, which
 * costs retries, not correctness (test/pg-visits-across-coordinators.test.ts runs without them).
 * Each profile row's id list (id-lists.ts) changes with its id rows: the winner lists every id it
 * gains, a profile that loses one of this request's ids is rewritten without it.
 *
 * Counting, in the same transaction after the profile: each notification id is inserted with
 * `ON CONFLICT DO NOTHING` (in id order, countedGroupsOf) — a concurrent transaction inserting the
 * same id makes this one wait for its outcome, so exactly one of them counts it — then the
 * per-visitor counter rows are upserted. A restarted transaction has rolled all of it back and
 * reads `counted()` again, so a retry never counts twice.
 */
export class PgVisitsStore implements VisitsStore {
  constructor(
    private readonly pool: PgPool,
    private readonly options: { lockIds?: boolean } = {},
  ) {}

  recordVisit(client: string, visit: VisitWrite): Promise<RecordedVisit> {
    return inTransaction(this.pool, (db) => this.recordLocked(db, client, visit));
  }

  private async recordLocked(db: PgClient, client: string, visit: VisitWrite): Promise<RecordedVisit> {
    if (this.options.lockIds !== false) await this.queueBehindVisitsOfTheSameIds(db, client, visit);

    // 1. Read (locked) and plan, writing nothing.
    const plan = planVisit(resolveIds(await this.readLocked(db, client, visit.refs), visit.now), visit);
    if (plan.kind === 'refused') throw refusalError(plan.refusal);
    if (visit.idCaps && (plan.link.length > 0 || plan.absorbed.length > 0)) {
      // The id lists of the rows read (and locked): no query.
      const held = [
        plan.profile ? countIds(decodeIdList(plan.profile.ids)) : {},
        ...plan.absorbed.map((p) => countIds(decodeIdList(p.ids))),
      ];
      const refusal = tooManyIds(
        held,
        plan.link.map(({ ref }) => ref),
        visit.idCaps,
      );
      if (refusal) throw refusalError(refusal);
    }
    const groups = countedGroupsOf(visit);

    // 2. Write the plan. The winner's id list gains every id of the absorbed profiles and every
    // linked id; a profile that keeps its data loses only this request's ids.
    await purgeProfiles(db, client, plan.purge);
    const key = plan.profile?.key ?? mintProfileKey();
    const ids = encodeIdList([
      ...(plan.profile ? decodeIdList(plan.profile.ids) : []),
      ...plan.absorbed.flatMap((loser) => decodeIdList(loser.ids)),
      ...plan.link.map(({ ref }) => ref),
    ]);
    await db.query(
      `INSERT INTO profiles (client, profile_key, attributes, session_state, created_at, modified_at, expires_at, ids)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (client, profile_key) DO UPDATE SET attributes = excluded.attributes, session_state = excluded.session_state,
         modified_at = excluded.modified_at, expires_at = excluded.expires_at, ids = excluded.ids, version = profiles.version + 1`,
      [client, key, encodeAttributes(plan.attributes), encodeSession(plan.session), plan.createdAt, plan.modifiedAt, plan.expiresAt, ids],
    );
    for (const loser of plan.absorbed) {
      await repointIds(db, client, loser.key, key, decodeIdList(loser.ids));
      await db.query('DELETE FROM profiles WHERE client = $1 AND profile_key = $2', [client, loser.key]);
    }
    for (const { ref, from } of plan.link) {
      if (from === null) {
        await linkUnknownId(db, client, ref, key);
      } else {
        from.ids = withoutIds(from.ids, [ref]);
        await db.query('UPDATE profiles SET ids = $3, version = version + 1 WHERE client = $1 AND profile_key = $2', [
          client,
          from.key,
          from.ids,
        ]);
        await repointIds(db, client, from.key, key, [ref]);
      }
    }
    return recordedVisit(key, plan, await this.count(db, client, key, groups, visit.now));
  }

  /** Writes what the visit counts for the profile `key`; answers how many groups were replays. */
  private async count(db: PgClient, client: string, key: string, groups: readonly CountedGroup[], now: number): Promise<number> {
    if (groups.length === 0) return 0;
    const counting: CountedGroup[] = [];
    for (const group of groups) {
      if (group.notificationId !== undefined) {
        const { rowCount } = await db.query(
          `INSERT INTO counted_notifications (client, notification_id, counted_at) VALUES ($1, $2, $3)
           ON CONFLICT (client, notification_id) DO NOTHING`,
          [client, group.notificationId, now],
        );
        if (rowCount !== 1) continue;
      }
      counting.push(group);
    }
    const { impressions, conversions } = counterIncrements(counting);
    for (const { activityId, experienceId, count } of impressions) {
      await db.query(
        `INSERT INTO activity_impressions (client, activity_id, experience_id, visitor_key, impressions, first_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (client, activity_id, experience_id, visitor_key) DO UPDATE SET impressions = activity_impressions.impressions + excluded.impressions`,
        [client, activityId, experienceId, key, count, now],
      );
    }
    for (const { activityId, experienceId, metric, count } of conversions) {
      await db.query(
        `INSERT INTO activity_conversions (client, activity_id, experience_id, metric, visitor_key, conversions, first_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (client, activity_id, experience_id, metric, visitor_key) DO UPDATE SET conversions = activity_conversions.conversions + excluded.conversions`,
        [client, activityId, experienceId, metric, key, count, now],
      );
    }
    return groups.length - counting.length;
  }

  /** The id rows of `refs` and the profile rows they name, locked (`FOR UPDATE`), each profile read once. */
  private async readLocked(db: PgClient, client: string, refs: readonly VisitorIdRef[]): Promise<FoundId<PgVisitedProfile>[]> {
    const read = new Map<string, PgVisitedProfile | undefined>();
    const found: FoundId<PgVisitedProfile>[] = [];
    for (const ref of refs) {
      const id = await db.query<{ profile_key: string }>(
        'SELECT profile_key FROM profile_ids WHERE client = $1 AND id_kind = $2 AND id_value = $3 FOR UPDATE',
        [client, ref.kind, ref.value],
      );
      const key = id.rows[0]?.profile_key;
      if (key !== undefined && !read.has(key)) {
        const { rows } = await db.query<PgVisitRow>(
          `SELECT profile_key, attributes, session_state, created_at, expires_at, ids FROM profiles
            WHERE client = $1 AND profile_key = $2 FOR UPDATE`,
          [client, key],
        );
        read.set(key, rows[0] && toPlanned(rows[0]));
      }
      found.push({ ref, key, profile: key === undefined ? undefined : read.get(key) });
    }
    return found;
  }

  private async queueBehindVisitsOfTheSameIds(db: PgClient, client: string, visit: VisitWrite): Promise<void> {
    await db.query(
      `SELECT pg_advisory_xact_lock(h) FROM (
         SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS ordered`,
      [visit.refs.map((ref) => JSON.stringify([client, ref.kind, ref.value]))],
    );
  }
}
