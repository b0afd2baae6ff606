import type { VisitorIdRef } from '../../domain/identity.js';
import type { ProfileContent, ProfileWrite } from '../../domain/profile-write.js';

/** A profile as stored: its attributes and timestamps (ProfileContent). After `expiresAt` it is gone (reads answer 404, the sweep deletes it). */
export interface StoredProfile extends ProfileContent {
  /** Internal key; never shown on the wire. */
  key: string;
}

/** A write's moment and change; the rules it goes through are planProfileWrite's (src/domain/profile-write.ts). */
export type { ProfileWrite };

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
   * Atomic read-modify-write, as planProfileWrite decides it: `refs` name one visitor, the profile
   * of the first known id is used and every unknown id in `refs` is linked to it; expired profiles
   * count as unknown and are purged. Returns null when no id is known and `create` is false. A
   * refused write throws its error and writes nothing: ids pointing at two different live
   * profiles are a ConflictError, a result over the size limit a ProfileTooLargeError.
   */
  write(client: string, refs: readonly VisitorIdRef[], write: ProfileWrite): Promise<WrittenProfile | null>;
  /** Every id linked to a profile. */
  idsOf(client: string, key: string): Promise<VisitorIdRef[]>;
  /** Deletes the profile an id points to, with all its ids. Null when unknown (or already expired). */
  delete(client: string, ref: VisitorIdRef, now: number): Promise<DeletedProfile | null>;
  /** Deletes up to `limit` expired profiles with their ids; returns how many. */
  sweepExpired(now: number, limit: number): Promise<number>;
}
