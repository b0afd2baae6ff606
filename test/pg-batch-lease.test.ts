import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BatchCursorMovedError, type NewBatch } from '../src/features/batches/batches-store.js';
import { migratePostgres, openPool, type PgPool } from '../src/store/postgres/database.js';
import { PgBatchesStore } from '../src/store/postgres/pg-batches-store.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';

/** Batch leases on PostgreSQL: two processes (two store instances) on one database. */
let postgres: TestPostgres;
let pool: PgPool;
before(async () => {
  postgres = await startPostgres();
  pool = openPool(await postgres.createDatabase());
  await migratePostgres(pool);
});
after(async () => {
  await pool.end();
  await postgres.stop();
});

const batch = (batchId: string, client: string): NewBatch => ({
  batchId,
  client,
  apiVersion: 2,
  keyColumn: 'pcId',
  attributes: ['a'],
  bodyFile: batchId,
  bodyBytes: 100,
  batchSize: 1,
  firstOffset: 10,
  firstLine: 2,
  submittedAt: 1,
});
const emptyChunk = (batchId: string, client: string) => ({
  batchId,
  client,
  fromOffset: 10,
  rows: [],
  nextOffset: 20,
  nextLine: 3,
  last: false,
  now: 1,
});

test('a batch is claimed by one process; the other neither gets it nor may apply to it until the lease runs out', async () => {
  const a = new PgBatchesStore(pool, { owner: 'process-a', leaseMs: 400 });
  const b = new PgBatchesStore(pool, { owner: 'process-b', leaseMs: 400 });
  await a.create(batch('lease-1', 'shop'));
  assert.deepEqual(
    (await a.unfinished()).map((x) => x.batchId),
    ['lease-1'],
  );
  assert.deepEqual(await b.unfinished(), [], 'held by a');
  await assert.rejects(b.applyChunk(emptyChunk('lease-1', 'shop')), BatchCursorMovedError);
  assert.deepEqual(
    (await a.unfinished()).map((x) => x.batchId),
    ['lease-1'],
    'a renews its own lease',
  );

  await new Promise((resolve) => setTimeout(resolve, 600)); // a died: no chunk, no renewal
  assert.deepEqual(
    (await b.unfinished()).map((x) => x.batchId),
    ['lease-1'],
    'b takes the expired lease over',
  );
  await assert.rejects(a.applyChunk(emptyChunk('lease-1', 'shop')), BatchCursorMovedError, 'a, back from a pause, may not write any more');
  const moved = await b.applyChunk(emptyChunk('lease-1', 'shop'));
  assert.equal(moved.nextOffset, 20);
});

test('the batches of one client stay in submission order across processes; waiting batches are shared out', async () => {
  const a = new PgBatchesStore(pool, { owner: 'order-a', leaseMs: 10_000 });
  const b = new PgBatchesStore(pool, { owner: 'order-b', leaseMs: 10_000 });
  await a.create(batch('order-1', 'client-x'));
  await a.create(batch('order-2', 'client-x'));
  await a.create(batch('other-1', 'client-y'));
  const first = (await a.unfinished()).map((x) => x.batchId);
  const second = (await b.unfinished()).map((x) => x.batchId);
  assert.equal(first.length, 1, 'one new claim per look');
  assert.equal(second.length, 1);
  assert.deepEqual([...first, ...second].sort(), ['order-1', 'other-1'], "client-x's second batch waits for its first");
  // Concurrent claimers never both get a batch.
  await a.create(batch('race-1', 'client-z'));
  const claims = await Promise.all([a.unfinished(), b.unfinished()]);
  assert.equal(claims.flat().filter((x) => x.batchId === 'race-1').length, 1);
});
