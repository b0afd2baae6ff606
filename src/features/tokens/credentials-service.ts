import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../domain/clock.js';
import { DAY_MS } from '../../domain/clock.js';
import { ForbiddenError, UnauthorizedError } from '../../errors.js';
import type { ClientSettings } from '../clients/clients-store.js';
import type { CredentialRecord, CredentialScope, CredentialsStore } from './credentials-store.js';

/**
 * Tokens look like `pet_<id>.<secret>` (profile tokens) and `pea_<id>.<secret>` (admin keys): the
 * id finds the record, the 256-bit secret is checked against its SHA-256 hash in constant time.
 * A fast hash is right here: the secrets are random, so there is nothing to brute-force.
 */
const TOKEN_SHAPE = /^pe([ta])_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;
const PREFIX: Record<CredentialScope, string> = { profile_api: 'pet', admin: 'pea' };

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function bearerOf(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

export interface IssuedToken {
  accessToken: string;
  record: CredentialRecord;
}

/** The Adobe-shaped token document (`/{tenant}/target/authentication/token`). */
export interface TokenDocument {
  accessToken?: string;
  tokenType: 'Bearer';
  scope: 'profile_api';
  expiresIn: number;
  /** Ours: the public part of the token, so operators can tell tokens apart without the secret. */
  tokenId: string;
  createdAt: string;
}

export interface CredentialsOptions {
  profileTokenTtlSeconds: number;
  adminKeyTtlDays: number;
  /** An operator-provided admin key (PROFILE_EDGE_ADMIN_KEY); it replaces generated ones. */
  configuredAdminKey: string | undefined;
}

export class CredentialsService {
  private readonly configuredAdminKeyHash: Buffer | null;

  constructor(
    private readonly store: CredentialsStore,
    private readonly clock: Clock,
    private readonly options: CredentialsOptions,
  ) {
    this.configuredAdminKeyHash = options.configuredAdminKey ? sha256(options.configuredAdminKey) : null;
  }

  private async issue(scope: CredentialScope, client: string | null, ttlMs: number): Promise<IssuedToken> {
    const now = this.clock.now();
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const record: CredentialRecord = {
      id,
      scope,
      client,
      secretHash: sha256(secret),
      createdAt: now,
      expiresAt: now + ttlMs,
      revokedAt: null,
    };
    await this.store.replace(record, now);
    return { accessToken: `${PREFIX[scope]}_${id}.${secret}`, record };
  }

  /** A new profile token for the client; every earlier one is revoked at once. */
  async issueProfileToken(client: ClientSettings): Promise<TokenDocument> {
    const { accessToken, record } = await this.issue('profile_api', client.code, this.options.profileTokenTtlSeconds * 1000);
    return { accessToken, ...this.describe(record) };
  }

  /** The current token's document, without the secret (only its hash is kept). */
  async currentProfileToken(client: ClientSettings): Promise<TokenDocument | null> {
    const record = await this.store.current('profile_api', client.code);
    if (!record || record.expiresAt <= this.clock.now()) return null;
    return this.describe(record);
  }

  private describe(record: CredentialRecord): Omit<TokenDocument, 'accessToken'> {
    return {
      tokenType: 'Bearer',
      scope: 'profile_api',
      expiresIn: Math.max(0, Math.floor((record.expiresAt - this.clock.now()) / 1000)),
      tokenId: record.id,
      createdAt: new Date(record.createdAt).toISOString(),
    };
  }

  /** Generates an admin key when none is configured or stored; returns it (to be shown once). */
  async ensureAdminKey(): Promise<string | null> {
    if (this.configuredAdminKeyHash) return null;
    const current = await this.store.current('admin', null);
    if (current && current.expiresAt > this.clock.now()) return null;
    const { accessToken } = await this.issue('admin', null, this.options.adminKeyTtlDays * DAY_MS);
    return accessToken;
  }

  /** Replaces the stored admin key (CLI `admin-key rotate`); the old one stops working at once. */
  async rotateAdminKey(): Promise<string> {
    return (await this.issue('admin', null, this.options.adminKeyTtlDays * DAY_MS)).accessToken;
  }

  /**
   * Profile API auth (docs/wire-contract.md#91-profile-api-tokens): missing → 401; wrong, expired,
   * revoked or another client's → 403.
   */
  async authorizeProfileCall(client: ClientSettings, authorization: string | undefined): Promise<void> {
    if (!client.requireAuth) return;
    const token = bearerOf(authorization);
    if (!token) {
      throw new UnauthorizedError(
        `Client ${client.code} requires authentication: send Authorization: Bearer <profile token>`,
        'token_missing',
      );
    }
    const record = await this.verify(token, 'profile_api');
    if (record.client !== client.code) {
      throw new ForbiddenError(`The profile token is not valid for client ${client.code}`, 'token_wrong_client');
    }
  }

  async authorizeAdmin(authorization: string | undefined): Promise<void> {
    const key = bearerOf(authorization);
    if (!key) throw new UnauthorizedError('Admin calls need Authorization: Bearer <admin key>', 'admin_key_missing');
    if (this.configuredAdminKeyHash) {
      if (!timingSafeEqual(sha256(key), this.configuredAdminKeyHash)) {
        throw new ForbiddenError('The admin key is not valid', 'admin_key_invalid');
      }
      return;
    }
    await this.verify(key, 'admin');
  }

  private async verify(token: string, scope: CredentialScope): Promise<CredentialRecord> {
    const what = scope === 'admin' ? 'admin key' : 'profile token';
    const shape = TOKEN_SHAPE.exec(token);
    const record = shape && shape[1] === PREFIX[scope].slice(2) ? await this.store.byId(shape[2]!) : null;
    if (!record || record.scope !== scope || !timingSafeEqual(sha256(shape![3]!), record.secretHash)) {
      throw new ForbiddenError(`The ${what} is not valid`, `${scope === 'admin' ? 'admin_key' : 'token'}_invalid`);
    }
    if (record.revokedAt !== null) {
      throw new ForbiddenError(`The ${what} has been revoked`, `${scope === 'admin' ? 'admin_key' : 'token'}_revoked`);
    }
    if (record.expiresAt <= this.clock.now()) {
      throw new ForbiddenError(`The ${what} has expired`, `${scope === 'admin' ? 'admin_key' : 'token'}_expired`);
    }
    return record;
  }
}
