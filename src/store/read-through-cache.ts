/**
 * A small read-through cache for rarely written rows that every request reads (clients, tokens).
 *
 * Correctness rule: a value may be cached only if no write happened while it was being loaded.
 * Every write calls `invalidate()`, which empties the cache and bumps a generation number; a load
 * that started in an older generation returns its value to its caller but does not cache it. So
 * once a write has returned, no request sees the old row: a revoked token is refused at once.
 *
 * Misses (null) are never cached: random unknown keys cost a store read, not memory. The cache is
 * bounded; when full it starts over (these tables hold a handful of hot rows).
 */
export class ReadThroughCache<V> {
  private readonly entries = new Map<string, V>();
  private generation = 0;

  constructor(private readonly maxEntries = 10_000) {}

  async get(key: string, load: () => Promise<V | null>): Promise<V | null> {
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const startedIn = this.generation;
    const loaded = await load();
    if (loaded !== null && startedIn === this.generation) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, loaded);
    }
    return loaded;
  }

  /** Call on every write to the underlying rows, right after it is applied. */
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
