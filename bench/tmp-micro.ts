import { openSqlite } from '../src/store/sqlite/database.js';
import fs from 'node:fs';
fs.rmSync('/tmp/mb', { recursive: true, force: true });
const db = openSqlite({ dataDir: '/tmp/mb', synchronous: 'NORMAL' });
db.prepare("INSERT INTO clients VALUES ('demo',1,14,NULL,0,0)").run();
const get = db.prepare('SELECT * FROM clients WHERE code = ?');
const one = db.prepare('SELECT 1');
const ins = db.prepare("INSERT INTO profiles VALUES ('demo', ?, '[]', 0, 0, 9e15) ON CONFLICT DO UPDATE SET modified_at = modified_at + 1");
function time(label: string, f: () => void, n = 200000) {
  for (let i = 0; i < 1000; i++) f();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  console.log(label, (Number(process.hrtime.bigint() - t) / n / 1000).toFixed(2), 'µs');
}
time('clients get', () => get.get('demo'));
time('select 1', () => one.get());
let k = 0;
time('autocommit upsert', () => ins.run(String(k++ % 2000)), 20000);
const tx = db.transaction(() => ins.run(String(k++ % 2000)));
time('immediate txn upsert', () => tx.immediate(), 20000);
time('clients get after writes', () => get.get('demo'));
const tx2 = db.transaction(() => get.get('demo'));
time('deferred txn get', () => tx2(), 50000);
console.log(db.pragma('wal_autocheckpoint'));
