import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { parseConfig } from '../src/config.js';
import { openStores } from '../src/store/open-stores.js';
import { describeStoreContract } from './store-contract/stores-contract.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';

/**
 * Citus readiness: every statement the PostgreSQL store sends to a per-visitor table must name
 * the distribution key (client plus profile key, or client plus id), so that Citus can route it
 * to one shard. The statements are recorded while the whole store contract suite runs.
 */
const VISITOR_TABLES = /\b(profiles|profile_ids)\b/;
/** Read-only scans that are multi-shard by nature, documented in docs/scaling.md. */
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

describeStoreContract('postgres (recording statements)', async () => openStores(parseConfig({}, { databaseUrl: await postgres.createDatabase() })));

function routable(sql: string): boolean {
  // A join or subquery across ids and profiles cannot be routed: they are distributed by different keys.
  if (/\bprofiles\b/.test(sql) && /\bprofile_ids\b/.test(sql)) return false;
  if (/^INSERT INTO (profiles|profile_ids) \(client, (profile_key|id_kind, id_value)\b/.test(sql)) return true;
  const where = sql.split(/\bWHERE\b/).slice(1).join(' WHERE ');
  const namesClient = /\b(\w+\.)?client = \$\d/.test(where);
  const namesKey = /\b(\w+\.)?(profile_key = \$\d|id_value = \$\d)/.test(where);
  return namesClient && namesKey;
}

test('every statement on a per-visitor table names its distribution key', () => {
  const visitorStatements = [...recorded].filter((sql) => VISITOR_TABLES.test(sql) && !/^(CREATE|INSERT INTO schema_migrations)/.test(sql));
  assert.ok(visitorStatements.length >= 8, `recorded ${visitorStatements.length} statements`);
  const unroutable = visitorStatements.filter((sql) => !routable(sql) && !MULTI_SHARD_ALLOWED.some((allowed) => allowed.test(sql)));
  assert.deepEqual(unroutable, []);
});
