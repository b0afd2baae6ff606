import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import type { ClientsStore } from '../features/clients/clients-store.js';
import type { ProfilesStore } from '../features/profiles/profiles-store.js';
import type { CredentialsStore } from '../features/tokens/credentials-store.js';
import { CachedClientsStore, CachedCredentialsStore } from './cached-stores.js';
import { startBackgroundCheckpointer } from './sqlite/background-checkpointer.js';
import { openSqlite } from './sqlite/database.js';
import { SqliteClientsStore } from './sqlite/sqlite-clients-store.js';
import { SqliteCredentialsStore } from './sqlite/sqlite-credentials-store.js';
import { SqliteProfilesStore } from './sqlite/sqlite-profiles-store.js';

/** Every store the services need, from one backend. */
export interface Stores {
  clients: ClientsStore;
  credentials: CredentialsStore;
  profiles: ProfilesStore;
  /** Cheap round trip, for /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openStores(config: Config): Promise<Stores> {
  if (config.databaseUrl) {
    throw new ConfigError('PROFILE_EDGE_DATABASE_URL: the PostgreSQL store is not available in this version; unset it to use the embedded store');
  }
  const db = openSqlite({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous });
  const ping = db.prepare('SELECT 1');
  const checkpointer = startBackgroundCheckpointer(db);
  return {
    // This process is the only writer of the embedded database: clients and tokens, read by every
    // profile API call, are served from memory and dropped on each write (src/store/cached-stores.ts).
    clients: new CachedClientsStore(new SqliteClientsStore(db)),
    credentials: new CachedCredentialsStore(new SqliteCredentialsStore(db)),
    profiles: new SqliteProfilesStore(db),
    async ping() {
      ping.get();
    },
    async close() {
      await checkpointer.stop();
      if (db.open) db.close();
    },
  };
}
