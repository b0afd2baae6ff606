import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReadThroughCache } from './read-through-cache.js';

function counting<V>(value: V | null) {
  const loader = { calls: 0, load: async () => (loader.calls++, value) };
  return loader;
}

test('a row read once is served from memory until the next write', async () => {
  const cache = new ReadThroughCache<string>();
  const row = counting('demo settings');
  assert.equal(await cache.get('demo', row.load), 'demo settings');
  assert.equal(await cache.get('demo', row.load), 'demo settings');
  assert.equal(row.calls, 1);

  await cache.writeThrough(async () => undefined);
  assert.equal(await cache.get('demo', row.load), 'demo settings');
  assert.equal(row.calls, 2);
});

test('unknown keys are not remembered, so random ids cost no memory', async () => {
  const cache = new ReadThroughCache<string>();
  const missing = counting<string>(null);
  assert.equal(await cache.get('nobody', missing.load), null);
  assert.equal(await cache.get('nobody', missing.load), null);
  assert.equal(missing.calls, 2);
  assert.equal(cache.size, 0);
});

test('a read that was in flight when a token was revoked is not cached: the next request sees the revocation', async () => {
  const cache = new ReadThroughCache<{ revoked: boolean }>();
  let stored = { revoked: false };
  let release!: () => void;
  const slowRead = cache.get('token', async () => {
    const seen = stored;
    await new Promise<void>((resolve) => (release = resolve));
    return seen;
  });
  await cache.writeThrough(async () => {
    stored = { revoked: true };
  });
  release();
  assert.deepEqual(await slowRead, { revoked: false }, 'the in-flight request keeps what it read');
  assert.deepEqual(await cache.get('token', async () => stored), { revoked: true });
});

test('a store that applies the write before returning its promise is invalidated before anyone can await', async () => {
  const cache = new ReadThroughCache<string>();
  await cache.get('k', async () => 'old');
  let settle!: () => void;
  const writing = cache.writeThrough(() => new Promise<void>((resolve) => (settle = resolve)));
  // The write has not settled, yet the old row is gone already.
  assert.equal(await cache.get('k', async () => 'new'), 'new');
  settle();
  await writing;
});

test('a failed write still invalidates, since part of it may have been applied', async () => {
  const cache = new ReadThroughCache<string>();
  await cache.get('k', async () => 'old');
  await assert.rejects(cache.writeThrough(async () => Promise.reject(new Error('disk full'))), /disk full/);
  assert.equal(cache.size, 0);
});

test('the cache is bounded: when full it starts over', async () => {
  const cache = new ReadThroughCache<number>(3);
  for (let i = 0; i < 3; i++) await cache.get(`k${i}`, async () => i);
  assert.equal(cache.size, 3);
  await cache.get('k3', async () => 3);
  assert.equal(cache.size, 1);
});
