import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migratePostgres, openPool } from '../src/store/postgres/database.js';
import { PG_MIGRATIONS } from '../src/store/postgres/migrations/index.js';
import { PgProfilesStore } from '../src/store/postgres/pg-profiles-store.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';

/** Upgrading a PostgreSQL database that already holds visitors keeps them whole. */
let postgres: TestPostgres;
before(async () => {
  postgres = await startPostgres();
});
after(async () => {
  await postgres.stop();
});

test('migration 3 lists the ids of existing profiles in their rows', async () => {
  const pool = openPool(await postgres.createDatabase(), 2);
  try {
    // A database as the previous release left it: migrations 1 and 2 applied, one profile with three ids.
    await pool.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    for (const migration of PG_MIGRATIONS.filter((m) => m.version <= 2)) {
      await pool.query(migration.sql);
      await pool.query('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [migration.version, migration.name]);
    }
    await pool.query(`INSERT INTO profiles (client, profile_key, attributes, created_at, modified_at, expires_at)
      VALUES ('shop', 'k1', '[["a","1",5]]', 1, 5, 9e12), ('shop', 'k2', '[]', 1, 1, 9e12)`);
    await pool.query(`INSERT INTO profile_ids (client, id_kind, id_value, profile_key)
      VALUES ('shop', 'tntId', 'device-b', 'k1'), ('shop', 'thirdPartyId', 'crm-1', 'k1'), ('shop', 'tntId', 'device-a', 'k1')`);

    await migratePostgres(pool);

    const profiles = new PgProfilesStore(pool);
    assert.deepEqual(await profiles.idsOf('shop', 'k1'), [
      { kind: 'thirdPartyId', value: 'crm-1' },
      { kind: 'tntId', value: 'device-a' },
      { kind: 'tntId', value: 'device-b' },
    ]);
    assert.deepEqual(await profiles.idsOf('shop', 'k2'), []);
    // The upgraded profile behaves as any other: deleting it by one id removes every id.
    const deleted = await profiles.delete('shop', { kind: 'tntId', value: 'device-a' });
    assert.equal(deleted?.ids.length, 3);
    assert.equal((await pool.query("SELECT count(*)::int AS n FROM profile_ids WHERE client = 'shop'")).rows[0].n, 0);
  } finally {
    await pool.end();
  }
});
