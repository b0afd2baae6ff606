import type { Clock } from '../../domain/clock.js';
import { ID_KIND_LABEL, type VisitorIdRef } from '../../domain/identity.js';
import { NotFoundError } from '../../errors.js';
import { type ProfileDocument, profileDocument } from '../../wire/profile-document.js';
import type { BatchBodies } from '../batches/batch-bodies.js';
import type { BatchesStore, KeyedFailedRow } from '../batches/batches-store.js';
import type { PersonKeys } from '../batches/row-keys.js';
import type { ClientSettings } from '../clients/clients-store.js';
import type { ProfilesStore } from '../profiles/profiles-store.js';
import { holdsRowOf } from './rows-in-body.js';

/** Every id of a person, grouped by kind, as the admin API shows them. */
export type IdsDocument = Record<string, string[]>;

export interface PrivacyExport extends Omit<ProfileDocument, 'modifiedAt'> {
  modifiedAt: string | null;
  ids: IdsDocument;
  /** Failed-row records of bulk batches keyed by one of the person's ids, each of its batch's key kind. */
  batchFailures: KeyedFailedRow[];
}

export interface PrivacyDeletion {
  deleted: true;
  client: string;
  /** The profile removed with every id that led to it; null when only other traces were found. */
  profile: { ids: IdsDocument; attributeCount: number } | null;
  /** Failed-row records removed from batch reports. */
  batchFailureRows: number;
  /** Stored bodies of stuck batches that held a row for the person, removed. */
  batchBodiesRemoved: string[];
  /**
   * Batches of the client still being applied: a row for the person in one of them would write
   * the profile again. Repeat the deletion once they are complete.
   */
  pendingBatches: string[];
  /** Whether the database's own files were rewritten so that no copy of deleted rows remains. */
  storageScrubbed: boolean;
}

export function idsDocument(ids: readonly VisitorIdRef[]): IdsDocument {
  const grouped: IdsDocument = {};
  for (const { kind, value } of ids) {
    grouped[kind] ??= [];
    grouped[kind].push(value);
  }
  return grouped;
}

/**
 * Privacy requests (docs/wire-contract.md#10-privacy): export everything stored about a person,
 * or erase it — the profile, every id linked to it, the failed-row records of batch reports that
 * are the person's, and stuck batch bodies holding one of the person's rows (row-keys.ts: keyed by
 * one of its ids of the batch's key kind, exactly, compared decoded). Session state
 * lives in the profile row and goes with it. Then the store scrubs its files so no copy lingers.
 */
export class PrivacyService {
  constructor(
    private readonly profiles: ProfilesStore,
    private readonly batches: BatchesStore,
    /** Where the store keeps batch bodies: files in the data directory, or PostgreSQL's `batch_bodies`. */
    private readonly bodies: BatchBodies,
    private readonly scrubStorage: () => Promise<boolean>,
    private readonly clock: Clock,
  ) {}

  async export(client: ClientSettings, ref: VisitorIdRef): Promise<PrivacyExport> {
    const profile = await this.profiles.find(client.code, ref, this.clock.now());
    const ids = profile ? await this.profiles.idsOf(client.code, profile.key) : [];
    const batchFailures = await this.batches.failuresOfPerson(client.code, personKeys(ref, ids));
    if (!profile && batchFailures.length === 0) throw nothingStored(client.code, ref);
    const document = profile
      ? profileDocument(client.code, ref.value, profile)
      : { client: client.code, visitorId: ref.value, modifiedAt: null, profileAttributes: {} };
    return { ...document, ids: idsDocument(ids), batchFailures };
  }

  async delete(client: ClientSettings, ref: VisitorIdRef): Promise<PrivacyDeletion> {
    // The id may point at an expired profile the sweep has not reached yet: it is erased too.
    const deleted = await this.profiles.delete(client.code, ref, this.clock.now());
    const person = personKeys(ref, deleted?.ids ?? []);
    const batchFailureRows = await this.batches.forgetFailuresOfPerson(client.code, person);
    const { removed, pending } = await this.scrubBatchBodies(client.code, person);
    if (!deleted && batchFailureRows === 0 && removed.length === 0) throw nothingStored(client.code, ref);
    return {
      deleted: true,
      client: client.code,
      profile: deleted ? { ids: idsDocument(deleted.ids), attributeCount: deleted.attributeCount } : null,
      batchFailureRows,
      batchBodiesRemoved: removed,
      pendingBatches: pending,
      storageScrubbed: await this.scrubStorage(),
    };
  }

  /**
   * Bodies of the client's batches: a stuck one (kept for inspection, never applied again) that
   * holds a row naming the person is removed; incomplete ones are reported.
   */
  private async scrubBatchBodies(client: string, person: PersonKeys): Promise<{ removed: string[]; pending: string[] }> {
    const removed: string[] = [];
    const pending: string[] = [];
    for (const { batchId, bodyFile, status, keyColumn } of await this.batches.withKeptBodies(client)) {
      if (status === 'incomplete') {
        pending.push(batchId);
      } else if (await holdsRowOf(this.bodies.storedPieces(bodyFile), keyColumn, person)) {
        await this.bodies.remove(bodyFile);
        removed.push(batchId);
      }
    }
    return { removed, pending };
  }
}

/**
 * The ids a bulk row may carry for this person, each of its kind (row-keys.ts): tntIds in pcId
 * batches, thirdPartyIds in thirdPartyId batches. The other kinds are no bulk key.
 */
function personKeys(ref: VisitorIdRef, ids: readonly VisitorIdRef[]): PersonKeys {
  const of = (kind: 'tntId' | 'thirdPartyId') => [...new Set([ref, ...ids].filter((id) => id.kind === kind).map((id) => id.value))];
  return { tntIds: of('tntId'), thirdPartyIds: of('thirdPartyId') };
}

function nothingStored(client: string, ref: VisitorIdRef): NotFoundError {
  const label = ref.kind === 'thirdPartyId' ? 'third party id' : ID_KIND_LABEL[ref.kind];
  return new NotFoundError(`Nothing is stored for client ${client} with ${label}=${ref.value}`, 'person_not_found');
}
