import type { Clock } from '../../domain/clock.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { assertClientCode, CLIENT_CODE } from './client-settings.js';
import type { ClientSettings, ClientSettingsPatch, ClientsStore } from './clients-store.js';

export class ClientsService {
  constructor(
    private readonly store: ClientsStore,
    private readonly clock: Clock,
  ) {}

  /** The client named in a URL; unknown codes are a 404 naming the client, never a creation. */
  async require(code: string): Promise<ClientSettings> {
    const client = CLIENT_CODE.test(code) ? await this.store.get(code) : null;
    if (!client) throw new NotFoundError(`Unknown client '${code.slice(0, 64)}'`, 'unknown_client');
    return client;
  }

  async find(code: string): Promise<ClientSettings | null> {
    return this.store.get(code);
  }

  async findByImsOrgId(imsOrgId: string): Promise<ClientSettings | null> {
    return this.store.findByImsOrgId(imsOrgId);
  }

  async list(): Promise<ClientSettings[]> {
    return this.store.list();
  }

  /** Create or update: the patch holds valid settings (the admin route's schema checks them). */
  async put(code: string, patch: ClientSettingsPatch): Promise<{ client: ClientSettings; created: boolean }> {
    assertClientCode(code);
    if (patch.imsOrgId) {
      const owner = await this.store.findByImsOrgId(patch.imsOrgId);
      if (owner && owner.code !== code) {
        throw new ConflictError(`imsOrgId ${patch.imsOrgId} already belongs to client '${owner.code}'`, 'ims_org_taken');
      }
    }
    return this.store.upsert(code, patch, this.clock.now());
  }
}
