import type { AttributeMap } from '../../domain/attributes.js';
import type { VisitorIdRef } from '../../domain/identity.js';

export interface StoredProfile {
  /** Internal key; never shown on the wire. */
  key: string;
  attributes: AttributeMap;
  createdAt: number;
  /** When attributes last changed. */
  modifiedAt: number;
  /** After this instant the profile is gone (reads answer 404, the sweep deletes it). */
  expiresAt: number;
}

export interface ProfileWrite {
  now: number;
  /** Expiry stamped on the profile when it is written (now + the client's lifetime). */
  expiresAt: number;
  /** Create a profile when none of the ids is known (v2 batch, delivery, admin); else update-only. */
  create: boolean;
  /**
   * Pure function from the stored attributes to the new ones, run inside the store's transaction
   * while the profile is locked. Throwing aborts the whole write.
   */
  apply(existing: AttributeMap): AttributeMap;
}

export interface WrittenProfile {
  profile: StoredProfile;
  created: boolean;
  ids: VisitorIdRef[];
}

export interface DeletedProfile {
  key: string;
  ids: VisitorIdRef[];
  attributeCount: number;
}

export interface ProfilesStore {
  /** The live profile an id points to; null when unknown or expired. */
  find(client: string, ref: VisitorIdRef, now: number): Promise<StoredProfile | null>;
  /**
   * Atomic read-modify-write. `refs` name one visitor: the profile of the first known id is used
   * and every unknown id in `refs` is linked to it. Ids pointing at two different live profiles
   * are a ConflictError. Returns null when no id is known and `create` is false.
   */
  write(client: string, refs: readonly VisitorIdRef[], write: ProfileWrite): Promise<WrittenProfile | null>;
  /** Every id linked to a profile. */
  idsOf(client: string, key: string): Promise<VisitorIdRef[]>;
  /** Deletes the profile an id points to, with all its ids. Null when unknown (or already expired). */
  delete(client: string, ref: VisitorIdRef, now: number): Promise<DeletedProfile | null>;
  /** Deletes up to `limit` expired profiles with their ids; returns how many. */
  sweepExpired(now: number, limit: number): Promise<number>;
}
