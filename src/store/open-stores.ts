import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import type { ClientsStore } from '../features/clients/clients-store.js';
import type { ProfilesStore } from '../features/profiles/profiles-store.js';
import type { VisitsStore } from '../features/delivery/visits-store.js';
import type { CredentialsStore } from '../features/tokens/credentials-store.js';
import { openSqlite } from './sqlite/database.js';
import { SqliteClientsStore } from './sqlite/sqlite-clients-store.js';
import { SqliteCredentialsStore } from './sqlite/sqlite-credentials-store.js';
import { SqliteProfilesStore } from './sqlite/sqlite-profiles-store.js';
import { SqliteVisitsStore } from './sqlite/sqlite-visits-store.js';

/** Every store the services need, from one backend. */
export interface Stores {
  clients: ClientsStore;
  credentials: CredentialsStore;
  profiles: ProfilesStore;
  visits: VisitsStore;
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
  return {
    clients: new SqliteClientsStore(db),
    credentials: new SqliteCredentialsStore(db),
    profiles: new SqliteProfilesStore(db),
    visits: new SqliteVisitsStore(db),
    async ping() {
      ping.get();
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
