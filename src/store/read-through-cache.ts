/**
 * A small read-through cache for rarely written rows that every request reads (clients, tokens).
 *
 * Correctness rule: a value may be cached only if no write happened while it was being loaded.
 * Every write calls `invalidate()`, which empties the cache and bumps a generation number; a load
 * that started in an older generation returns its value to its caller but does not cache it. So
 * once a write has returned, no request sees the old row: a revoked token is refused at once.
 *
 * When other processes write the same rows (PostgreSQL), they reach this process as `invalidate()`
 * calls from a change listener; `enabled` turns the cache off while that listener cannot hear
 * them, and `ttlMs` bounds how long an entry is trusted in any case (ADR 004).
 *
 * Misses (null) are never cached: random unknown keys cost a store read, not memory. The cache is
 * bounded; when full it starts over (these tables hold a handful of hot rows).
 */
export interface ReadThroughCacheOptions {
  maxEntries?: number;
  /** An entry loaded longer ago than this is loaded again. Default: kept until the next write. */
  ttlMs?: number;
  /** While this answers false, every read goes to the store and nothing is cached. */
  enabled?: () => boolean;
  /** Milliseconds of a monotonic-enough clock, for `ttlMs`; injectable for tests. */
  now?: () => number;
}

export class ReadThroughCache<V> {
  private readonly entries = new Map<string, { value: V; loadedAt: number }>();
  private generation = 0;
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly enabled: () => boolean;
  private readonly now: () => number;

  constructor(options: ReadThroughCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.ttlMs = options.ttlMs ?? Infinity;
    this.enabled = options.enabled ?? (() => true);
    this.now = options.now ?? (() => performance.now());
  }

  async get(key: string, load: () => Promise<V | null>): Promise<V | null> {
    if (!this.enabled()) return load();
    const hit = this.entries.get(key);
    if (hit !== undefined && this.now() - hit.loadedAt < this.ttlMs) return hit.value;
    const startedIn = this.generation;
    const loadedAt = this.now();
    const loaded = await load();
    if (loaded !== null && startedIn === this.generation && this.enabled()) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, { value: loaded, loadedAt });
    }
    return loaded;
  }

  /** Call on every write to the underlying rows, right after it is applied (or heard of). */
  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  /**
   * Runs a write and invalidates both right after it is started (stores that apply writes
   * synchronously, like better-sqlite3, have applied it by then) and when it settles.
   */
  async writeThrough<T>(write: () => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = write();
    } finally {
      this.invalidate();
    }
    try {
      return await pending;
    } finally {
      this.invalidate();
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
