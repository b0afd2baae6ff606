import type { ClientSettings, ClientSettingsPatch, ClientsStore } from '../features/clients/clients-store.js';
import type { CredentialRecord, CredentialScope, CredentialsStore } from '../features/tokens/credentials-store.js';
import { ReadThroughCache } from './read-through-cache.js';

/**
 * Every profile API call reads its client and its token before doing any work. Both rows change
 * only through the admin API of the process that owns the embedded database, so that process can
 * keep them in memory and drop them on its own writes (see ReadThroughCache for the rule that
 * makes a revocation effective at once).
 *
 * Only for a store that a single server process writes. A database shared by several server
 * processes (PostgreSQL behind a load balancer) must not be wrapped: another process's revocation
 * would go unseen.
 *
 * Whoever adds a write method to these store interfaces must route it through `writeThrough`.
 * Callers get copies, so nothing they do can change a cached row.
 */
export class CachedClientsStore implements ClientsStore {
  private readonly cache = new ReadThroughCache<ClientSettings>();

  constructor(private readonly inner: ClientsStore) {}

  async get(code: string): Promise<ClientSettings | null> {
    const client = await this.cache.get(code, () => this.inner.get(code));
    return client && { ...client };
  }

  list(): Promise<ClientSettings[]> {
    return this.inner.list();
  }

  findByImsOrgId(imsOrgId: string): Promise<ClientSettings | null> {
    return this.inner.findByImsOrgId(imsOrgId);
  }

  upsert(code: string, patch: ClientSettingsPatch, now: number): Promise<{ client: ClientSettings; created: boolean }> {
    return this.cache.writeThrough(() => this.inner.upsert(code, patch, now));
  }
}

export class CachedCredentialsStore implements CredentialsStore {
  private readonly cache = new ReadThroughCache<CredentialRecord>();

  constructor(private readonly inner: CredentialsStore) {}

  async byId(id: string): Promise<CredentialRecord | null> {
    const record = await this.cache.get(id, () => this.inner.byId(id));
    return record && { ...record };
  }

  current(scope: CredentialScope, client: string | null): Promise<CredentialRecord | null> {
    return this.inner.current(scope, client);
  }

  replace(record: CredentialRecord, now: number): Promise<void> {
    return this.cache.writeThrough(() => this.inner.replace(record, now));
  }
}
