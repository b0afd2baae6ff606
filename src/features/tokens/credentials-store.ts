/**
 * Secrets that let a caller in: per-client profile tokens and admin keys. Only a SHA-256 hash of
 * each secret is stored; the record id is public (it is part of the token) and used for lookup.
 */
export type CredentialScope = 'profile_api' | 'admin';

export interface CredentialRecord {
  id: string;
  scope: CredentialScope;
  /** The client a profile token belongs to; null for admin keys. */
  client: string | null;
  secretHash: Buffer;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export interface CredentialsStore {
  byId(id: string): Promise<CredentialRecord | null>;
  /** The newest unrevoked credential of this scope (and client), expired or not. */
  current(scope: CredentialScope, client: string | null): Promise<CredentialRecord | null>;
  /** Atomically revokes every unrevoked credential of the scope (and client) and stores this one. */
  replace(record: CredentialRecord, now: number): Promise<void>;
}
