/** A tenant (Target's "client code") and its settings (docs/wire-contract.md#1-tenants). */
export interface ClientSettings {
  code: string;
  requireAuth: boolean;
  profileLifetimeDays: number;
  imsOrgId: string | null;
  /** The response tokens of its Delivery answers; null: DEFAULT_RESPONSE_TOKENS (docs/decisioning.md#response-tokens). */
  responseTokens: string[] | null;
  createdAt: number;
  updatedAt: number;
}

export interface ClientSettingsPatch {
  requireAuth?: boolean;
  profileLifetimeDays?: number;
  imsOrgId?: string | null;
  /** null: back to the default list. */
  responseTokens?: string[] | null;
}

export interface ClientsStore {
  get(code: string): Promise<ClientSettings | null>;
  list(): Promise<ClientSettings[]>;
  findByImsOrgId(imsOrgId: string): Promise<ClientSettings | null>;
  /** Creates the client with defaults plus the patch, or applies the patch to it. */
  upsert(code: string, patch: ClientSettingsPatch, now: number): Promise<{ client: ClientSettings; created: boolean }>;
}
