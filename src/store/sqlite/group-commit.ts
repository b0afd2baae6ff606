import type { SqliteDatabase } from './database.js';

interface Pending<T> {
  work: () => T;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

/**
 * Group commit for small write transactions. Writes requested in the same turn of the event loop
 * (under load: every request whose bytes arrived together) run in one `BEGIN IMMEDIATE … COMMIT`,
 * each inside its own savepoint.
 *
 * Why: a commit costs lock syscalls and WAL frames for every page it touches, whatever it holds.
 * Fifty concurrent single updates each committing alone write ~4 pages each; committed together
 * they share the commit and the index pages they touch in common.
 *
 * What does not change: each write is still atomic on its own (a write that throws is rolled back
 * to its savepoint and rejected, the others commit); writes apply in the order they were
 * requested; nobody is answered before the COMMIT that holds their write has returned, with the
 * configured `synchronous` durability. If the COMMIT itself fails, every write of the group fails.
 * So does every write of the group when one of them ends the whole transaction: SQLite rolls a
 * transaction back by itself on some errors (SQLITE_FULL on a full disk, an I/O error), and the
 * writes that had succeeded before it in the group are gone with it.
 * The only cost is one `setImmediate` hop before the transaction starts.
 */
export class GroupCommit {
  private queue: Array<Pending<unknown>> = [];
  private readonly runGroup: { immediate: (group: Array<Pending<unknown>>) => Array<() => void> };
  private readonly runOne: (work: () => unknown) => unknown;

  constructor(db: SqliteDatabase) {
    // Inside a transaction, better-sqlite3 runs a nested transaction function as a savepoint.
    this.runOne = db.transaction((work: () => unknown) => work());
    this.runGroup = db.transaction((group: Array<Pending<unknown>>) =>
      group.map((pending) => {
        try {
          const value = this.runOne(pending.work);
          return () => pending.resolve(value);
        } catch (err) {
          // SQLite rolled the whole transaction back: no write of the group is stored, and the
          // next ones must not run outside of it. The group fails with this error.
          if (!db.inTransaction) throw err;
          return () => pending.reject(err);
        }
      }),
    );
  }

  /** Runs `work` inside a write transaction shared with the other writes of this turn. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve, reject } as Pending<unknown>);
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const group = this.queue;
    this.queue = [];
    let outcomes: Array<() => void>;
    try {
      outcomes = this.runGroup.immediate(group);
    } catch (err) {
      for (const pending of group) pending.reject(err);
      return;
    }
    for (const settle of outcomes) settle();
  }
}
