import type { Activity, StoredActivity } from '../decisioning/activity.js';

/** An activity as the store keeps it: the validated activity, its id and version, and when. */
export interface ActivityRecord extends StoredActivity {
  /** Epoch ms of the first version. */
  createdAt: number;
  /** Epoch ms of the current version. */
  modifiedAt: number;
}

/**
 * What a write expects of the stored activity (`If-Match`): any version (`*`: it must exist), or
 * exactly this one. Undefined: no expectation.
 */
export type ExpectedVersion = number | '*' | undefined;

/** A write refused because the stored activity is not the expected one (null: there is none). */
export interface VersionMismatch {
  mismatch: true;
  current: number | null;
}

/** A client's imported Adobe rules artifact: its JSON as accepted (docs/artifact.md#import). */
export interface ImportedArtifactRecord {
  body: string;
  /** 1 on the first import, +1 on each replacement. */
  version: number;
  importedAt: number;
}

export interface ActivitiesStore {
  /** The client's activities, ordered by id (code-unit order). */
  list(client: string): Promise<ActivityRecord[]>;
  get(client: string, id: string): Promise<ActivityRecord | null>;
  /**
   * Creates the activity at version 1, or replaces it with the next version, atomically: two
   * concurrent replacements of version 1 store versions 2 and 3, never two versions 2. Bumps the
   * client's revision in the same transaction.
   */
  put(
    client: string,
    id: string,
    activity: Activity,
    now: number,
    expected?: ExpectedVersion,
  ): Promise<{ activity: ActivityRecord; created: boolean } | VersionMismatch>;
  /** Deletes it (bumping the revision): true, false when there is none, or the mismatch. */
  delete(client: string, id: string, expected?: ExpectedVersion): Promise<boolean | VersionMismatch>;
  /**
   * The client's activities with the revision they are at: a number that changes with every
   * write of the client's activities (0 before the first), read in one snapshot with them.
   */
  snapshot(client: string): Promise<{ revision: number; activities: ActivityRecord[]; imported: ImportedArtifactRecord | null }>;
  /** The client's imported artifact, or null. */
  importedArtifact(client: string): Promise<ImportedArtifactRecord | null>;
  /** Stores (or replaces) the client's imported artifact, bumping the revision in the same transaction. */
  putImportedArtifact(client: string, body: string, now: number): Promise<ImportedArtifactRecord>;
  /** Deletes it (bumping the revision): false when there is none. */
  deleteImportedArtifact(client: string): Promise<boolean>;
  /** The client's revision alone: one indexed read, for a cross-process freshness check. */
  revision(client: string): Promise<number>;
  /**
   * The server secret `name` (base64 text): the stored one, or `candidate` stored now when there is
   * none — race-safe, so every process that calls it at once answers the same secret.
   */
  serverSecret(name: string, candidate: string, now: number): Promise<string>;
}

/**
 * How a process learns that another process changed activities (see ActivitiesService):
 * - `local`: no other process writes (one SQLite server process): its own writes are all there are;
 * - `poll`: other processes write and nobody tells: compare the revision now and then;
 * - `notify`: other nodes' writes are announced (PostgreSQL LISTEN/NOTIFY) while `listening()`;
 *   while not, it is `poll`.
 */
export interface ActivityChangeFeed {
  readonly kind: 'local' | 'poll' | 'notify';
  listening(): boolean;
  /** `onChange(client)` for a change of that client's activities; null: anything may have changed. */
  subscribe(onChange: (client: string | null) => void): void;
}
