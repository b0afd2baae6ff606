import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqlite } from '../../src/store/sqlite/database.js';

export type RawTarget = 'profile-edge-schema' | 'single-table';

/**
 * The floor we compare against: plain better-sqlite3 landing the same rows with no profile
 * semantics (no reads, no merge, no limits). The file is streamed and split, every cell
 * URL-decoded, each row's attributes JSON-encoded, then upserted 10,000 rows per transaction
 * (WAL, synchronous=NORMAL, as profile-edge runs):
 * - `profile-edge-schema`: into profile-edge's own tables (profiles + profile_ids, same indexes,
 *   same stored attribute format), one upsert into each per row;
 * - `single-table`: into one `(id PRIMARY KEY, attributes)` table, the least work possible.
 */
export async function rawUpsert(batchFile: string, workDir: string, target: RawTarget): Promise<{ seconds: number; rows: number }> {
  const dataDir = path.join(workDir, `raw-${target}`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  let db: Database.Database;
  let upsertRow: (id: string, attributes: string, now: number) => void;
  if (target === 'profile-edge-schema') {
    db = openSqlite({ dataDir, synchronous: 'NORMAL' });
    const profile = db.prepare(
      `INSERT INTO profiles (client, profile_key, attributes, created_at, modified_at, expires_at) VALUES ('demo', ?, ?, ?, ?, ?)
       ON CONFLICT (client, profile_key) DO UPDATE SET attributes = excluded.attributes, modified_at = excluded.modified_at, expires_at = excluded.expires_at`,
    );
    const link = db.prepare(
      `INSERT INTO profile_ids (client, id_kind, id_value, profile_key) VALUES ('demo', 'tntId', ?, ?)
       ON CONFLICT (client, id_kind, id_value) DO UPDATE SET profile_key = excluded.profile_key`,
    );
    upsertRow = (id, attributes, now) => {
      link.run(id, id);
      profile.run(id, attributes, now, now, now + 14 * 86_400_000);
    };
  } else {
    db = new Database(path.join(dataDir, 'raw.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE profiles (id TEXT PRIMARY KEY, attributes TEXT NOT NULL) WITHOUT ROWID');
    const upsert = db.prepare(
      'INSERT INTO profiles (id, attributes) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET attributes = excluded.attributes',
    );
    upsertRow = (id, attributes) => upsert.run(id, attributes);
  }
  const started = process.hrtime.bigint();
  const now = Date.now();
  let names: string[] | null = null;
  let pending: Array<[string, string]> = [];
  let rows = 0;
  const flush = db.transaction((batch: Array<[string, string]>) => {
    for (const [id, attributes] of batch) upsertRow(id, attributes, now);
  });
  let tail = '';
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
      if (pending.length === 10_000) {
        flush(pending);
        pending = [];
      }
    }
  }
  if (pending.length > 0) flush(pending);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return { seconds, rows };
}
