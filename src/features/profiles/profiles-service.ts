import { applyWrites, type AttributeMap, type AttributeWrite, validateWrites } from '../../domain/attributes.js';
import { type Clock, DAY_MS } from '../../domain/clock.js';
import { ID_KIND_LABEL, mintTntId, type VisitorIdRef } from '../../domain/identity.js';
import { NotFoundError } from '../../errors.js';
import type { Limits } from '../../config.js';
import type { ClientSettings } from '../clients/clients-store.js';
import type { DeletedProfile, ProfilesStore, ProfileWrite, StoredProfile, WrittenProfile } from './profiles-store.js';

/** Target's exact 404 text of the fetch API (docs/wire-contract.md#7-profile-fetch), on every profile endpoint. */
export function profileNotFound(client: string, ref: VisitorIdRef): NotFoundError {
  const label = ref.kind === 'thirdPartyId' ? 'third party id' : ID_KIND_LABEL[ref.kind];
  return new NotFoundError(`No profile found for client ${client} with ${label}=${ref.value}`, 'profile_not_found');
}

/** A ProfileWrite of validated attribute writes (a class, not a closure: bulk builds one per row). */
class AttributesWrite implements ProfileWrite {
  constructor(
    private readonly accepted: readonly AttributeWrite[],
    readonly now: number,
    readonly expiresAt: number,
    readonly create: boolean,
    readonly maxProfileBytes: number,
  ) {}

  apply(existing: AttributeMap): AttributeMap {
    return applyWrites(existing, this.accepted, this.now);
  }
}

export class ProfilesService {
  constructor(
    private readonly store: ProfilesStore,
    private readonly clock: Clock,
    private readonly limits: Limits,
    /** How long one day of a client's profileLifetimeDays lasts (config.lifetimeDayMs). */
    private readonly dayMs = DAY_MS,
  ) {}

  private expiryFor(client: ClientSettings, now: number): number {
    return now + client.profileLifetimeDays * this.dayMs;
  }

  /**
   * Writes attributes through the profile APIs (single update, admin). Validates names and
   * values first, then applies atomically in the store; the 64 KB check runs on the merged profile.
   */
  async writeAttributes(
    client: ClientSettings,
    refs: readonly VisitorIdRef[],
    writes: readonly AttributeWrite[],
    create: boolean,
  ): Promise<WrittenProfile | null> {
    const accepted = validateWrites(writes, {
      maxNameLength: this.limits.maxNameLength,
      maxValueLength: this.limits.maxApiValueLength,
    });
    return this.store.write(client.code, refs, this.profileWrite(client, accepted, create, this.clock.now()));
  }

  /**
   * The store write for attribute writes that already passed validation, for single updates and
   * bulk rows alike: the expiry and the size limit come from here, the rules the store applies
   * (empty values, modifiedAt, the 64 KB check) from planProfileWrite.
   */
  profileWrite(client: ClientSettings, accepted: readonly AttributeWrite[], create: boolean, now: number): ProfileWrite {
    return new AttributesWrite(accepted, now, this.expiryFor(client, now), create, this.limits.maxProfileBytes);
  }

  /** Single profile update (docs/wire-contract.md#5-single-profile-update): update-only, applied before the reply. */
  async updateExisting(client: ClientSettings, ref: VisitorIdRef, writes: readonly AttributeWrite[]): Promise<WrittenProfile> {
    const written = await this.writeAttributes(client, [ref], writes, false);
    if (!written) throw profileNotFound(client.code, ref);
    return written;
  }

  /** Admin create-or-update; with no id at all a tntId is minted. */
  async upsert(client: ClientSettings, refs: readonly VisitorIdRef[], writes: readonly AttributeWrite[]): Promise<WrittenProfile> {
    const ids = refs.length > 0 ? refs : [{ kind: 'tntId' as const, value: mintTntId() }];
    return (await this.writeAttributes(client, ids, writes, true))!;
  }

  async fetch(client: ClientSettings, ref: VisitorIdRef): Promise<StoredProfile> {
    const profile = await this.store.find(client.code, ref, this.clock.now());
    if (!profile) throw profileNotFound(client.code, ref);
    return profile;
  }

  async idsOf(client: ClientSettings, profile: StoredProfile): Promise<VisitorIdRef[]> {
    return this.store.idsOf(client.code, profile.key);
  }

  /**
   * Explicit removal of one attribute — the only way a value disappears. Removing an attribute
   * the profile does not have writes nothing (the profile's expiry is not touched either).
   */
  async removeAttribute(client: ClientSettings, ref: VisitorIdRef, name: string): Promise<{ removed: boolean; profile: StoredProfile }> {
    const now = this.clock.now();
    let written: WrittenProfile | null;
    try {
      written = await this.store.write(client.code, [ref], {
        now,
        expiresAt: this.expiryFor(client, now),
        create: false,
        apply: (existing) => {
          if (!existing.has(name)) throw new AttributeAbsent();
          const next = new Map(existing);
          next.delete(name);
          return next;
        },
      });
    } catch (err) {
      if (!(err instanceof AttributeAbsent)) throw err;
      return { removed: false, profile: await this.fetch(client, ref) };
    }
    if (!written) throw profileNotFound(client.code, ref);
    return { removed: true, profile: written.profile };
  }

  async delete(client: ClientSettings, ref: VisitorIdRef): Promise<DeletedProfile> {
    const deleted = await this.store.delete(client.code, ref, this.clock.now());
    if (!deleted) throw profileNotFound(client.code, ref);
    return deleted;
  }

  /** Deletes expired profiles in small transactions so that traffic is never stalled for long. */
  async sweepExpired(batchSize = 500, maxBatches = 200): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const removed = await this.store.sweepExpired(this.clock.now(), batchSize);
      total += removed;
      if (removed < batchSize) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return total;
  }
}

/** Thrown inside a write's `apply` to abandon it: the attribute to remove is not there. */
class AttributeAbsent extends Error {}
