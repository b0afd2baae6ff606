import type { ClientSettings, ClientSettingsPatch, ClientsStore } from '../features/clients/clients-store.js';
import type { CredentialRecord, CredentialScope, CredentialsStore } from '../features/tokens/credentials-store.js';
import { ReadThroughCache, type ReadThroughCacheOptions } from './read-through-cache.js';

/**
 * Every profile API call reads its client and its token before doing any work. Both rows are
 * rarely written, so they are kept in memory and dropped on every write (see ReadThroughCache for
 * the rule that makes a revocation effective at once):
 *
 * - a single process owning the embedded database drops them on its own writes, which are all
 *   there are;
 * - on PostgreSQL, other nodes' writes arrive through AuthChangeListener, which calls
 *   `invalidate()`; the cache is bypassed while the listener is not connected and entries expire
 *   after a short TTL (options, ADR 004).
 *
 * Whoever adds a write method to these store interfaces must route it through `writeThrough` (and,
 * on PostgreSQL, notify in the same transaction). Callers get copies, so nothing they do can change
 * a cached row.
 */
export class CachedClientsStore implements ClientsStore {
  private readonly cache: ReadThroughCache<ClientSettings>;

  constructor(
    private readonly inner: ClientsStore,
    options: ReadThroughCacheOptions = {},
  ) {
    this.cache = new ReadThroughCache(options);
  }

  async get(code: string): Promise<ClientSettings | null> {
    const client = await this.cache.get(code, () => this.inner.get(code));
    return client && { ...client, responseTokens: client.responseTokens && [...client.responseTokens] };
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

  /** Another process changed the clients table. */
  invalidate(): void {
    this.cache.invalidate();
  }
}

export class CachedCredentialsStore implements CredentialsStore {
  private readonly cache: ReadThroughCache<CredentialRecord>;

  constructor(
    private readonly inner: CredentialsStore,
    options: ReadThroughCacheOptions = {},
  ) {
    this.cache = new ReadThroughCache(options);
  }

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

  /** Another process changed the credentials table. */
  invalidate(): void {
    this.cache.invalidate();
  }
}
