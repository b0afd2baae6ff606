import { BadRequestError } from '../../errors.js';
import type { ClientSettings } from './clients-store.js';

export const CLIENT_CODE = /^[A-Za-z0-9_-]{1,64}$/;
export const IMS_ORG_ID = /^[A-Za-z0-9]{1,64}@AdobeOrg$/;

/**
 * Secure by default (docs/wire-contract.md#91-profile-api-tokens): every client, the demo client
 * included, requires a token.
 */
export const DEFAULT_CLIENT_SETTINGS: Omit<ClientSettings, 'code' | 'createdAt' | 'updatedAt'> = {
  requireAuth: true,
  profileLifetimeDays: 14,
  imsOrgId: null,
  responseTokens: null,
};

export function assertClientCode(code: string): void {
  if (!CLIENT_CODE.test(code)) {
    throw new BadRequestError(
      `client code '${code.slice(0, 80)}' is invalid: use 1 to 64 letters, digits, '_' or '-'`,
      'invalid_client_code',
    );
  }
}
