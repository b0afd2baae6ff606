import type { Config } from '../config.js';
import type { ActivitiesStore, ActivityChangeFeed } from '../features/activities/activities-store.js';
import type { BatchBodies } from '../features/batches/batch-bodies.js';
import type { BatchesStore } from '../features/batches/batches-store.js';
import type { CallWindowsStore } from '../features/batches/call-windows-store.js';
import type { ClientsStore } from '../features/clients/clients-store.js';
import type { ProfilesStore } from '../features/profiles/profiles-store.js';
import type { VisitsStore } from '../features/delivery/visits-store.js';
import type { ReportsStore } from '../features/reports/reports-store.js';
import type { ProfileScriptsStore } from '../features/profile-scripts/scripts-store.js';
import type { CredentialsStore } from '../features/tokens/credentials-store.js';
import type { DatastreamsStore } from '../features/datastreams/datastreams-store.js';
import { AuthChangeListener } from './postgres/auth-change-listener.js';
import { DEFAULT_POOL_TIMEOUTS, migratePostgres, openPool, type PgPool } from './postgres/database.js';
import { ACTIVITIES_CHANGE, PgActivitiesStore } from './postgres/pg-activities-store.js';
import { PgClientsStore } from './postgres/pg-clients-store.js';
import { PgCredentialsStore } from './postgres/pg-credentials-store.js';
import { PgDatastreamsStore } from './postgres/pg-datastreams-store.js';
import { PgBatchBodies } from './postgres/pg-batch-bodies.js';
import { PgBatchesStore } from './postgres/pg-batches-store.js';
import { PgCallWindowsStore } from './postgres/pg-call-windows-store.js';
import { PgProfilesStore } from './postgres/pg-profiles-store.js';
import { PgProfileScriptsStore } from './postgres/pg-profile-scripts-store.js';
import { PgReportsStore } from './postgres/pg-reports-store.js';
import { PgVisitsStore } from './postgres/pg-visits-store.js';
import { CachedClientsStore, CachedCredentialsStore } from './cached-stores.js';
import { openSqlite } from './sqlite/database.js';
import { SqliteActivitiesStore } from './sqlite/sqlite-activities-store.js';
import { SqliteBatchesStore } from './sqlite/sqlite-batches-store.js';
import { SqliteCallWindowsStore } from './sqlite/sqlite-call-windows-store.js';
import { SqliteClientsStore } from './sqlite/sqlite-clients-store.js';
import { SqliteCredentialsStore } from './sqlite/sqlite-credentials-store.js';
import { SqliteDatastreamsStore } from './sqlite/sqlite-datastreams-store.js';
import { SqliteProfilesStore } from './sqlite/sqlite-profiles-store.js';
import { SqliteProfileScriptsStore } from './sqlite/sqlite-profile-scripts-store.js';
import { SqliteReportsStore } from './sqlite/sqlite-reports-store.js';
import { SqliteVisitsStore } from './sqlite/sqlite-visits-store.js';
import { WalCheckpointer } from './sqlite/wal-checkpointer.js';

/** Every store the services need, from one backend. */
export interface Stores {
  clients: ClientsStore;
  credentials: CredentialsStore;
  profiles: ProfilesStore;
  batches: BatchesStore;
  visits: VisitsStore;
  /** What visits counted, for activity reports. */
  reports: ReportsStore;
  /** The bulk API rate limit's window, shared by every process on the database. */
  callWindows: CallWindowsStore;
  /** Activities, and the server secrets (the event-token key). */
  activities: ActivitiesStore;
  /** Web SDK datastreams: configId → client (docs/web-sdk.md#datastreams). */
  datastreams: DatastreamsStore;
  /** Profile scripts; their changes are heard on `activityChanges`. */
  profileScripts: ProfileScriptsStore;
  /** How this process hears of other processes' activity (and profile-script) writes. */
  activityChanges: ActivityChangeFeed;
  /** Where batch bodies live when not in files of the data directory (PostgreSQL: in the database, for every node). */
  batchBodies?: BatchBodies;
  /** Cheap round trip, for /healthz. */
  ping(): Promise<void>;
  /**
   * After a privacy erasure: make sure no copy of deleted rows lingers in the database's own files
   * (SQLite: the WAL is checkpointed and truncated; deleted content is zeroed by secure_delete).
   * Answers whether that succeeded.
   */
  scrubDeleted(): Promise<boolean>;
  close(): Promise<void>;
}

export async function openStores(config: Config): Promise<Stores> {
  return config.databaseUrl ? openPostgresStores(config) : openSqliteStores(config);
}

async function openPostgresStores(config: Config): Promise<Stores> {
  const pool = openPool(config.databaseUrl!, config.databasePoolSize, { ...DEFAULT_POOL_TIMEOUTS, poolWaitMs: config.databasePoolWaitMs });
  await migratePostgres(pool);
  const activityChanges = new ChangeFeed(config.authCache ? 'notify' : 'poll');
  const { clients, credentials, listener } = await authStoresForPostgres(config, pool, activityChanges);
  return {
    clients,
    credentials,
    activities: new PgActivitiesStore(pool),
    datastreams: new PgDatastreamsStore(pool),
    profileScripts: new PgProfileScriptsStore(pool),
    activityChanges,
    profiles: new PgProfilesStore(pool),
    batches: new PgBatchesStore(pool, { leaseMs: config.batchLeaseSeconds * 1000 }),
    visits: new PgVisitsStore(pool),
    reports: new PgReportsStore(pool),
    callWindows: new PgCallWindowsStore(pool),
    batchBodies: new PgBatchBodies(pool),
    async ping() {
      await pool.query('SELECT 1');
    },
    // PostgreSQL reclaims dead tuples with (auto)vacuum; see docs/security.md.
    async scrubDeleted() {
      return true;
    },
    async close() {
      await listener?.stop();
      await pool.end();
    },
  };
}

/**
 * Several nodes write the client and token tables, so a node may keep them in memory only while
 * it hears the others' writes (LISTEN/NOTIFY; ADR 004): bypassed while not listening, and never
 * trusted longer than the TTL.
 */
async function authStoresForPostgres(config: Config, pool: PgPool, activityChanges: ChangeFeed) {
  const clients = new PgClientsStore(pool);
  const credentials = new PgCredentialsStore(pool);
  if (!config.authCache) return { clients, credentials, listener: undefined };
  let listener: AuthChangeListener | undefined;
  const options = { ttlMs: config.authCacheTtlSeconds * 1000, enabled: () => listener?.listening === true };
  const cachedClients = new CachedClientsStore(clients, options);
  const cachedCredentials = new CachedCredentialsStore(credentials, options);
  listener = await AuthChangeListener.start(config.databaseUrl!, (what) => {
    if (what?.startsWith(ACTIVITIES_CHANGE)) return activityChanges.changed(what.slice(ACTIVITIES_CHANGE.length));
    cachedClients.invalidate();
    cachedCredentials.invalidate();
    if (what === null) activityChanges.changed(null);
  });
  activityChanges.listening = () => listener?.listening === true;
  return { clients: cachedClients, credentials: cachedCredentials, listener };
}

async function openSqliteStores(config: Config): Promise<Stores> {
  const db = openSqlite({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous });
  const ping = db.prepare('SELECT 1');
  const profiles = new SqliteProfilesStore(db);
  // WAL checkpoints (page copies and fsyncs) run on a worker thread, not inside commits.
  const checkpointer = WalCheckpointer.start(db);
  // With one server process, that process is the only writer of the embedded database: clients and
  // tokens, read by every profile API call, are served from memory and dropped on each write
  // (src/store/cached-stores.ts). Several workers share the file, so a revocation made by one must
  // be seen by all: no cache then. PROFILE_EDGE_AUTH_CACHE=off turns it off in any case.
  const single = config.workers === 1 && config.authCache;
  const clients = new SqliteClientsStore(db);
  const credentials = new SqliteCredentialsStore(db);
  return {
    clients: single ? new CachedClientsStore(clients) : clients,
    credentials: single ? new CachedCredentialsStore(credentials) : credentials,
    profiles,
    batches: new SqliteBatchesStore(db, profiles, checkpointer),
    visits: new SqliteVisitsStore(db),
    reports: new SqliteReportsStore(db),
    callWindows: new SqliteCallWindowsStore(db),
    activities: new SqliteActivitiesStore(db),
    datastreams: new SqliteDatastreamsStore(db),
    profileScripts: new SqliteProfileScriptsStore(db),
    // One process: its own writes are all there are. Several workers: they compare revisions.
    activityChanges: new ChangeFeed(config.workers === 1 ? 'local' : 'poll'),
    async ping() {
      ping.get();
    },
    async scrubDeleted() {
      // The background checkpointer or a reader may hold the WAL for a moment: retry briefly.
      for (let attempt = 0; attempt < 20; attempt++) {
        const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
        if (result?.busy === 0) return true;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return false;
    },
    async close() {
      await checkpointer.stop();
      if (db.open) db.close();
    },
  };
}

/** The ActivityChangeFeed of a backend: subscribers, and whether notifications arrive now. */
class ChangeFeed implements ActivityChangeFeed {
  private readonly subscribers: Array<(client: string | null) => void> = [];
  listening: () => boolean = () => false;

  constructor(readonly kind: ActivityChangeFeed['kind']) {}

  subscribe(onChange: (client: string | null) => void): void {
    this.subscribers.push(onChange);
  }

  changed(client: string | null): void {
    for (const onChange of this.subscribers) onChange(client);
  }
}
