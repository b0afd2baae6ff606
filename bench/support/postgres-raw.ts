import fs from 'node:fs';
import pg from 'pg';
import { decodeAttributes, encodeAttributes } from '../../src/store/profile-rows.js';
import { copyRows } from '../../src/store/postgres/copy-rows.js';
import { migratePostgres, openPool } from '../../src/store/postgres/database.js';

const LIFETIME_MS = 14 * 86_400_000;

/**
 * The PostgreSQL floor for bulk: plain `pg` landing the same rows in profile-edge's own tables
 * with no profile semantics (no reads, no merging, no limits): the file is streamed and split,
 * every cell URL-decoded, each row's attributes JSON-encoded, then per 10,000 rows one
 * transaction with a COPY into a staging table and one merge statement per table.
 */
export async function rawPgBulk(batchFile: string, databaseUrl: string, chunkRows = 10_000): Promise<{ seconds: number; rows: number }> {
  const pool = openPool(databaseUrl, 2);
  await migratePostgres(pool);
  const db = await pool.connect();
  const started = process.hrtime.bigint();
  const now = Date.now();
  let names: string[] | null = null;
  let pending: Array<[string, string]> = [];
  let rows = 0;
  const flush = async (batch: Array<[string, string]>) => {
    await db.query('BEGIN');
    await db.query('CREATE TEMP TABLE IF NOT EXISTS raw_staging (id TEXT NOT NULL, attributes TEXT NOT NULL) ON COMMIT DELETE ROWS');
    await copyRows(db, 'raw_staging', ['id', 'attributes'], batch);
    await db.query(
      `INSERT INTO profiles (client, profile_key, attributes, created_at, modified_at, expires_at)
       SELECT 'demo', id, attributes, $1, $1, $2 FROM raw_staging
       ON CONFLICT (client, profile_key) DO UPDATE SET attributes = excluded.attributes, modified_at = excluded.modified_at, expires_at = excluded.expires_at`,
      [now, now + LIFETIME_MS],
    );
    await db.query(
      `INSERT INTO profile_ids (client, id_kind, id_value, profile_key) SELECT 'demo', 'tntId', id, id FROM raw_staging
       ON CONFLICT (client, id_kind, id_value) DO NOTHING`,
    );
    await db.query('COMMIT');
  };
  let tail = '';
  try {
    for await (const chunk of fs.createReadStream(batchFile, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      const lines = (tail + chunk).split('\n');
      tail = lines.pop()!;
      for (const line of lines) {
        if (names === null) {
          names = line.slice('batch='.length).split(',').slice(1);
          continue;
        }
        if (line === '') continue;
        const cells = line.split(',');
        const attributes: Array<[string, string, number]> = [];
        for (let c = 1; c < cells.length; c++) attributes.push([names[c - 1]!, decodeURIComponent(cells[c]!.replace(/\+/g, ' ')), now]);
        pending.push([cells[0]!, JSON.stringify(attributes)]);
        rows++;
        if (pending.length === chunkRows) {
          await flush(pending);
          pending = [];
        }
      }
    }
    if (pending.length > 0) await flush(pending);
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, rows };
  } finally {
    db.release();
    await pool.end();
  }
}

/**
 * The PostgreSQL floor for single updates: `connections` clients in this process, each looping
 * over the statements profile-edge's single update runs once it knows where the id points (a
 * warm key hint, see PgProfilesStore): read the profile row, then write it back only if its
 * version is unchanged — with no HTTP, no auth, no validation, and ids resolved from memory.
 * Returns writes per second.
 */
export async function rawPgSingleUpdates(
  databaseUrl: string,
  tntIds: readonly string[],
  seconds: number,
  connections = 20,
): Promise<number> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: connections });
  const keyOf = new Map<string, string>();
  const ids = await pool.query<{ id_value: string; profile_key: string }>(
    "SELECT id_value, profile_key FROM profile_ids WHERE client = 'demo' AND id_kind = 'tntId' AND id_value = ANY($1::text[])",
    [tntIds],
  );
  for (const row of ids.rows) keyOf.set(row.id_value, row.profile_key);
  const deadline = performance.now() + seconds * 1000;
  let writes = 0;
  let n = 0;
  const worker = async () => {
    const db = await pool.connect();
    try {
      while (performance.now() < deadline) {
        const key = keyOf.get(tntIds[(n++ * 7919) % tntIds.length]!)!;
        const now = Date.now();
        const row = (
          await db.query<{ attributes: string; version: number }>({
            name: 'raw.read',
            text: "SELECT attributes, version FROM profiles WHERE client = 'demo' AND profile_key = $1",
            values: [key],
          })
        ).rows[0]!;
        const attributes = decodeAttributes(row.attributes).set('x', { value: `raw${n}`, modifiedAt: now });
        const updated = await db.query({
          name: 'raw.write',
          text: "UPDATE profiles SET attributes = $2, modified_at = $3, expires_at = $4, version = version + 1 WHERE client = 'demo' AND profile_key = $1 AND version = $5",
          values: [key, encodeAttributes(attributes), now, now + LIFETIME_MS, row.version],
        });
        if (updated.rowCount === 1) writes++;
      }
    } finally {
      db.release();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - started) / 1000;
  await pool.end();
  return writes / elapsed;
}
