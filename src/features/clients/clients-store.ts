/** A tenant (Target's "client code") and its settings (docs/wire-contract.md#1-tenants). */
export interface ClientSettings {
  code: string;
  requireAuth: boolean;
  profileLifetimeDays: number;
  imsOrgId: string | null;
  /** The response tokens its answers carry; null: the defaults. */
  responseTokens?: string[] | null;
  createdAt: number;
  updatedAt: number;
}

export interface ClientSettingsPatch {
  requireAuth?: boolean;
  profileLifetimeDays?: number;
  imsOrgId?: string | null;
}

export interface ClientsStore {
  get(code: string): Promise<ClientSettings | null>;
  list(): Promise<ClientSettings[]>;
  findByImsOrgId(imsOrgId: string): Promise<ClientSettings | null>;
  /** Creates the client with defaults plus the patch, or applies the patch to it. */
  upsert(code: string, patch: ClientSettingsPatch, now: number): Promise<{ client: ClientSettings; created: boolean }>;
}
