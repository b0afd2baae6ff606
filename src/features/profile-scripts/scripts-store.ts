import type { ScriptFailureReason } from './sandbox/client-sandbox.js';

/** A profile script as stored (docs/profile-scripts.md#managing-scripts). */
export interface ProfileScriptRecord {
  name: string;
  source: string;
  description: string | null;
  /** Set by the admin API; a disabled one does not run. */
  enabled: boolean;
  /** Set when the server disabled it (past its budget, threw, too long); null otherwise. */
  disabledReason: ScriptFailureReason | null;
  disabledMessage: string | null;
  disabledAt: number | null;
  /** 1 on creation, +1 on each PUT. */
  version: number;
  createdAt: number;
  modifiedAt: number;
}

export interface ScriptWrite {
  source: string;
  description: string | null;
  enabled: boolean;
}

export interface ProfileScriptsStore {
  /** The client's scripts, by name (code-unit order). */
  list(client: string): Promise<ProfileScriptRecord[]>;
  get(client: string, name: string): Promise<ProfileScriptRecord | null>;
  /**
   * Creates the script at version 1 or replaces it with the next version, clearing any disabled
   * state (re-enabling is a PUT); bumps the client's revision in the same transaction.
   */
  put(client: string, name: string, write: ScriptWrite, now: number): Promise<{ script: ProfileScriptRecord; created: boolean }>;
  /** Deletes it (bumping the revision); false when there is none. */
  delete(client: string, name: string): Promise<boolean>;
  /**
   * Marks version `version` disabled with its reason, if it is still the stored version and not
   * disabled yet (a PUT meanwhile wins); bumps the revision. Answers whether it did.
   */
  disable(client: string, name: string, version: number, reason: ScriptFailureReason, message: string, now: number): Promise<boolean>;
  /** The client's scripts with the revision they are at (0 before the first write), in one snapshot. */
  snapshot(client: string): Promise<{ revision: number; scripts: ProfileScriptRecord[] }>;
  /** The client's revision alone: one indexed read. */
  revision(client: string): Promise<number>;
  /** Scripts the server disabled, over every client, by reason (the /metrics gauge). */
  disabledCounts(): Promise<Array<{ reason: ScriptFailureReason; count: number }>>;
}
