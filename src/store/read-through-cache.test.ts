import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReadThroughCache } from './read-through-cache.js';

function counting<V>(value: V | null) {
  const loader = {
    calls: 0,
    load: async () => {
      loader.calls++;
      return value;
    },
  };
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
  await assert.rejects(
    cache.writeThrough(async () => Promise.reject(new Error('disk full'))),
    /disk full/,
  );
  assert.equal(cache.size, 0);
});

test('the cache is bounded: when full it starts over', async () => {
  const cache = new ReadThroughCache<number>({ maxEntries: 3 });
  for (let i = 0; i < 3; i++) await cache.get(`k${i}`, async () => i);
  assert.equal(cache.size, 3);
  await cache.get('k3', async () => 3);
  assert.equal(cache.size, 1);
});

test('with a TTL, a row is read again once its cached copy is older than that', async () => {
  let now = 1_000;
  const cache = new ReadThroughCache<string>({ ttlMs: 5_000, now: () => now });
  const row = counting('demo settings');
  await cache.get('demo', row.load);
  now += 4_999;
  await cache.get('demo', row.load);
  assert.equal(row.calls, 1, 'still fresh just before the TTL');
  now += 1;
  await cache.get('demo', row.load);
  assert.equal(row.calls, 2, 'reloaded at the TTL');
  now += 4_999;
  await cache.get('demo', row.load);
  assert.equal(row.calls, 2, 'the reload starts a new TTL');
});

test('the TTL counts from when the read started, not from when a slow read returned', async () => {
  let now = 0;
  const cache = new ReadThroughCache<string>({ ttlMs: 5_000, now: () => now });
  await cache.get('demo', async () => {
    now += 3_000; // the database took 3 s to answer
    return 'demo settings';
  });
  now += 2_000;
  const row = counting('demo settings');
  await cache.get('demo', row.load);
  assert.equal(row.calls, 1);
});

test('while the change listener is disconnected every read goes to the database, and nothing read then is kept', async () => {
  let listening = true;
  const cache = new ReadThroughCache<string>({ enabled: () => listening });
  const row = counting('token record');
  await cache.get('token', row.load);
  await cache.get('token', row.load);
  assert.equal(row.calls, 1);

  listening = false;
  await cache.get('token', row.load);
  await cache.get('token', row.load);
  assert.equal(row.calls, 3, "a cached entry is not served while another node's revocation could go unheard");

  cache.invalidate(); // what the listener does when it is listening again
  listening = true;
  await cache.get('token', row.load);
  await cache.get('token', row.load);
  assert.equal(row.calls, 4, 'cached again once listening');
});

test('a read that started while listening and returns after the listener went away is not cached', async () => {
  let listening = true;
  const cache = new ReadThroughCache<string>({ enabled: () => listening });
  let release!: () => void;
  const slowRead = cache.get('token', async () => {
    await new Promise<void>((resolve) => (release = resolve));
    return 'possibly stale';
  });
  listening = false;
  release();
  assert.equal(await slowRead, 'possibly stale');
  listening = true;
  assert.equal(cache.size, 0);
});
