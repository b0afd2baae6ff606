import type { Clock } from '../../domain/clock.js';
import { BadRequestError, ConflictError, NotFoundError } from '../../errors.js';
import { isUniqueViolation } from '../../store/database-errors.js';
import { responseTokenProblem } from '../decisioning/response-tokens.js';
import { assertClientCode, CLIENT_CODE, IMS_ORG_ID } from './client-settings.js';
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
    return IMS_ORG_ID.test(imsOrgId) ? this.store.findByImsOrgId(imsOrgId) : null;
  }

  async list(): Promise<ClientSettings[]> {
    return this.store.list();
  }

  /**
   * Create or update; the patch holds valid settings (the admin route's schema checks them). An
   * imsOrgId names one client: the database's unique key decides who holds it (a check before the
   * write would let two concurrent writers both pass it), and the one refused is told which client
   * holds it.
   */
  async put(code: string, patch: ClientSettingsPatch): Promise<{ client: ClientSettings; created: boolean }> {
    assertClientCode(code);
    if (patch.responseTokens) assertResponseTokens(patch.responseTokens);
    try {
      return await this.store.upsert(code, patch, this.clock.now());
    } catch (error) {
      if (!patch.imsOrgId || !isUniqueViolation(error)) throw error;
      const holder = await this.store.findByImsOrgId(patch.imsOrgId);
      // The holder may have let go of it meanwhile: the generic conflict answer then stands.
      if (!holder || holder.code === code) throw error;
      throw new ConflictError(`imsOrgId ${patch.imsOrgId} already belongs to client '${holder.code}'`, 'ims_org_taken');
    }
  }
}

/** Every name a known response token (the route's schema has checked the count and uniqueness). */
function assertResponseTokens(names: readonly string[]): void {
  names.forEach((name, index) => {
    const problem = responseTokenProblem(name);
    if (problem) throw new BadRequestError(`responseTokens[${index}]: ${problem}`, 'invalid_response_token');
  });
}
