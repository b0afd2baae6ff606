import { BadRequestError } from '../../errors.js';
import type { ClientSettings, ClientSettingsPatch } from './clients-store.js';

export const CLIENT_CODE = /^[A-Za-z0-9_-]{1,64}$/;
export const IMS_ORG_ID = /^[A-Za-z0-9]{1,64}@AdobeOrg$/;

/** Secure by default (CONTRACT §9): every client, the demo client included, requires a token. */
export const DEFAULT_CLIENT_SETTINGS: Omit<ClientSettings, 'code' | 'createdAt' | 'updatedAt'> = {
  requireAuth: true,
  profileLifetimeDays: 14,
  imsOrgId: null,
};

export function assertClientCode(code: string): void {
  if (!CLIENT_CODE.test(code)) {
    throw new BadRequestError(
      `client code '${code.slice(0, 80)}' is invalid: use 1 to 64 letters, digits, '_' or '-'`,
      'invalid_client_code',
    );
  }
}

/** Validates an admin JSON body into a settings patch; unknown fields are an error here. */
export function parseSettingsPatch(body: unknown): ClientSettingsPatch {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestError('client settings must be a JSON object', 'invalid_settings');
  }
  const patch: ClientSettingsPatch = {};
  for (const [field, value] of Object.entries(body)) {
    switch (field) {
      case 'requireAuth':
        if (typeof value !== 'boolean') throw new BadRequestError('requireAuth must be true or false', 'invalid_settings');
        patch.requireAuth = value;
        break;
      case 'profileLifetimeDays':
        if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 90) {
          throw new BadRequestError('profileLifetimeDays must be a whole number from 1 to 90', 'invalid_settings');
        }
        patch.profileLifetimeDays = value as number;
        break;
      case 'imsOrgId':
        if (value !== null && (typeof value !== 'string' || !IMS_ORG_ID.test(value))) {
          throw new BadRequestError("imsOrgId must look like 'ABC123@AdobeOrg', or be null", 'invalid_settings');
        }
        patch.imsOrgId = value as string | null;
        break;
      default:
        throw new BadRequestError(
          `unknown client setting '${field.slice(0, 64)}' (known: requireAuth, profileLifetimeDays, imsOrgId)`,
          'invalid_settings',
        );
    }
  }
  return patch;
}
