import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { parseConfig } from '../src/config.js';
import { openStores } from '../src/store/open-stores.js';
import { describeStoreContract } from './store-contract/stores-contract.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';

/**
 * Citus readiness: every statement the PostgreSQL store sends to a per-visitor table must name
 * that table's distribution key — client plus profile key for `profiles`, client plus id for
 * `profile_ids` — as one value or a list (`= ANY($n)`, which Citus prunes to the shards holding
 * those values), so that Citus can route it. The statements are recorded while the whole store
 * contract suite runs: profiles, batches (set-based chunk writes) and visits (merges).
 */
const VISITOR_TABLES = /\b(profiles|profile_ids)\b/;
const DISTRIBUTION_KEY: Record<string, RegExp> = {
  profiles: /\bprofile_key = (\$\d+|ANY\(\$\d+(::text\[\])?\))/,
  profile_ids: /\bid_value = (\$\d+|ANY\(\$\d+(::text\[\])?\))/,
};
/** An INSERT whose rows each carry the whole key (VALUES, or SELECT from a staging table). */
const KEYED_INSERT: Record<string, RegExp> = {
  profiles: /^INSERT INTO profiles \(client, profile_key\b/,
  profile_ids: /^INSERT INTO profile_ids \(client, id_kind, id_value\b/,
};
/**
 * The one statement that is multi-shard by nature (docs/scaling.md): the lifetime sweep's scan for
 * expired profiles, which Citus runs on every shard in parallel. Each profile it finds is then
 * purged by key. Listing, moving or deleting a profile's ids goes through the profile row's id
 * list (src/store/postgres/id-lists.ts), never through a scan of `profile_ids` by profile key.
 */
const MULTI_SHARD_ALLOWED = [/^SELECT client, profile_key FROM profiles WHERE expires_at <= \$1 LIMIT \$2$/];

const recorded = new Set<string>();
const originalQuery = pg.Client.prototype.query;
let postgres: TestPostgres;

before(async () => {
  postgres = await startPostgres();
  // Pool.query and PoolClient.query both end in Client.prototype.query.
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string };
    const text = typeof config === 'string' ? config : config?.text;
    if (text) recorded.add(text.replace(/\s+/g, ' ').trim());
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
});

after(async () => {
  pg.Client.prototype.query = originalQuery;
  await postgres.stop();
});

describeStoreContract('postgres (recording statements)', async () =>
  openStores(parseConfig({}, { databaseUrl: await postgres.createDatabase() })),
);

function routable(sql: string): boolean {
  const tables = new Set([...sql.matchAll(/\b(?:FROM|INTO|UPDATE|JOIN) (profiles|profile_ids)\b/g)].map((m) => m[1]!));
  // A join or subquery across ids and profiles cannot be routed: they are distributed by different keys.
  if (tables.size !== 1) return false;
  const table = [...tables][0]!;
  if (KEYED_INSERT[table]!.test(sql)) return true;
  const where = sql
    .split(/\bWHERE\b/)
    .slice(1)
    .join(' WHERE ');
  return /\bclient = \$\d/.test(where) && DISTRIBUTION_KEY[table]!.test(where);
}

test('every statement on a per-visitor table names its distribution key', () => {
  const visitorStatements = [...recorded].filter(
    (sql) => VISITOR_TABLES.test(sql) && !/^(CREATE|ALTER|INSERT INTO schema_migrations)/.test(sql),
  );
  assert.ok(visitorStatements.length >= 8, `recorded ${visitorStatements.length} statements`);
  const unroutable = visitorStatements.filter((sql) => !routable(sql) && !MULTI_SHARD_ALLOWED.some((allowed) => allowed.test(sql)));
  assert.deepEqual(unroutable, []);
  // The batch and visit paths ran, through their set-based and merge statements.
  for (const expected of [
    /^INSERT INTO profiles .* FROM staged_profiles/,
    /FROM profile_ids WHERE .*id_value = ANY/,
    /pg_advisory_xact_lock/,
  ]) {
    assert.ok(
      [...recorded].some((sql) => expected.test(sql)),
      `a statement matching ${expected} was recorded`,
    );
  }
});
