import { decodeAttributes, encodeAttributes, lastModified } from '../../domain/attributes.js';
import type { VisitorIdRef } from '../../domain/identity.js';
import type { SessionState } from '../../domain/sessions.js';
import { foldMergePlan, planVisitorMerge, type ResolvedId, type VisitorState } from '../../domain/visitor-merge.js';
import type { RecordedVisit, VisitsStore, VisitWrite } from '../../features/delivery/visits-store.js';
import { inTransaction, type PgClient, type PgPool, RetryTransaction } from './database.js';
import { decodeIdList, encodeIdList, repointIds, unlinkIds, withoutIds } from './id-lists.js';

interface ProfileRow {
  profile_key: string;
  attributes: string;
  session_state: string | null;
  created_at: number;
  expires_at: number;
  /** The profile's ids (id-lists.ts). */
  ids: string;
}

function decodeSession(encoded: string | null): SessionState | null {
  if (encoded === null) return null;
  const session = JSON.parse(encoded) as Partial<SessionState>;
  if (typeof session.id !== 'string' || typeof session.lastSeenAt !== 'number' || typeof session.startedAt !== 'number') {
    return null;
  }
  return { id: session.id, startedAt: session.startedAt, lastSeenAt: session.lastSeenAt, previousVisitAt: session.previousVisitAt ?? null };
}

const stateOf = (row: ProfileRow): VisitorState => ({
  attributes: decodeAttributes(row.attributes),
  session: decodeSession(row.session_state),
});
const newProfileKey = () => crypto.randomUUID().replace(/-/g, '');

/**
 * Delivery visits on PostgreSQL, safe across processes (the plan in visits-store.ts).
 *
 * A visit locks the id rows and the profile rows it reads (`FOR UPDATE`, which also serializes it
 * with single updates and batch chunks), decides with `planVisitorMerge`, and writes. Every id it
 * found unknown is linked with `INSERT … ON CONFLICT DO NOTHING`: if another transaction created
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

    // 1. Read: the live profile behind each id (expired or dangling ones are purged).
    const rows = new Map<string, ProfileRow>();
    const resolved: ResolvedId[] = [];
    for (const ref of visit.refs) {
      const id = await db.query<{ profile_key: string }>(
        'SELECT profile_key FROM profile_ids WHERE client = $1 AND id_kind = $2 AND id_value = $3 FOR UPDATE',
        [client, ref.kind, ref.value],
      );
      const key = id.rows[0]?.profile_key;
      const row = key === undefined ? undefined : (rows.get(key) ?? (await this.liveProfile(db, client, key, ref, visit.now)));
      if (!row) {
        resolved.push({ ref, profile: null });
        continue;
      }
      rows.set(row.profile_key, row);
      const identified = decodeIdList(row.ids).some((known) => known.kind === 'thirdPartyId');
      resolved.push({ ref, profile: { key: row.profile_key, identified } });
    }

    // 2. Decide and compute, writing nothing: merges in memory, then the caller's changes.
    const plan = planVisitorMerge(resolved);
    const winnerRow = plan.winnerKey === null ? undefined : rows.get(plan.winnerKey);
    const folded = foldMergePlan(plan, (key) => stateOf(rows.get(key)!), visit.maxProfileBytes);
    let state: VisitorState = folded.state;
    const absorbed = folded.absorbed;
    state = visit.apply(state);

    // 3. Write. Ids that move: every id of an absorbed profile, and this request's ids that
    // pointed elsewhere (a profile that keeps its data loses only those).
    const key = plan.winnerKey ?? newProfileKey();
    const createdAt = winnerRow?.created_at ?? visit.now;
    const absorbedIds = absorbed.flatMap((loserKey) => decodeIdList(rows.get(loserKey)!.ids));
    const ids = encodeIdList([...(winnerRow ? decodeIdList(winnerRow.ids) : []), ...absorbedIds, ...plan.link]);
    await db.query(
      `INSERT INTO profiles (client, profile_key, attributes, session_state, created_at, modified_at, expires_at, ids)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (client, profile_key) DO UPDATE SET attributes = excluded.attributes, session_state = excluded.session_state,
         modified_at = excluded.modified_at, expires_at = excluded.expires_at, ids = excluded.ids, version = profiles.version + 1`,
      [
        client,
        key,
        encodeAttributes(state.attributes),
        state.session ? JSON.stringify(state.session) : null,
        createdAt,
        lastModified(state.attributes, createdAt),
        visit.expiresAt,
        ids,
      ],
    );
    for (const loserKey of absorbed) {
      await repointIds(db, client, loserKey, key, decodeIdList(rows.get(loserKey)!.ids));
      await db.query('DELETE FROM profiles WHERE client = $1 AND profile_key = $2', [client, loserKey]);
    }
    const sourceOf = new Map(resolved.map((id) => [id.ref, id.profile?.key]));
    for (const ref of plan.link) {
      const source = sourceOf.get(ref);
      if (source === undefined) {
        const linked = await db.query(
          `INSERT INTO profile_ids (client, id_kind, id_value, profile_key) VALUES ($1, $2, $3, $4)
           ON CONFLICT (client, id_kind, id_value) DO NOTHING`,
          [client, ref.kind, ref.value, key],
        );
        if (linked.rowCount !== 1) throw new RetryTransaction();
      } else if (!absorbed.includes(source)) {
        const sourceRow = rows.get(source)!;
        sourceRow.ids = withoutIds(sourceRow.ids, [ref]);
        await db.query('UPDATE profiles SET ids = $3, version = version + 1 WHERE client = $1 AND profile_key = $2', [
          client,
          source,
          sourceRow.ids,
        ]);
        await repointIds(db, client, source, key, [ref]);
      }
    }
    return { key, created: !winnerRow, absorbed: absorbed.length, state };
  }

  private async queueBehindVisitsOfTheSameIds(db: PgClient, client: string, visit: VisitWrite): Promise<void> {
    await db.query(
      `SELECT pg_advisory_xact_lock(h) FROM (
         SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS ordered`,
      [visit.refs.map((ref) => JSON.stringify([client, ref.kind, ref.value]))],
    );
  }

  /**
   * The locked profile row `ref` points to, or undefined when missing or expired: an expired one is
   * purged now with its ids, an id pointing at a missing one is unlinked.
   */
  private async liveProfile(db: PgClient, client: string, key: string, ref: VisitorIdRef, now: number): Promise<ProfileRow | undefined> {
    const { rows } = await db.query<ProfileRow>(
      `SELECT profile_key, attributes, session_state, created_at, expires_at, ids FROM profiles
        WHERE client = $1 AND profile_key = $2 FOR UPDATE`,
      [client, key],
    );
    const row = rows[0];
    if (row && row.expires_at > now) return row;
    await unlinkIds(db, client, [{ key, ids: [...(row ? decodeIdList(row.ids) : []), ref] }]);
    if (row) await db.query('DELETE FROM profiles WHERE client = $1 AND profile_key = $2', [client, key]);
    return undefined;
  }
}
