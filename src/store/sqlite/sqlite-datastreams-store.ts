import type { Datastream, DatastreamFields, DatastreamPut, DatastreamsStore } from '../../features/datastreams/datastreams-store.js';
import type { SqliteDatabase } from './database.js';

interface DatastreamRow {
  config_id: string;
  client: string;
  ims_org_id: string;
  third_party_id_namespace: string | null;
  property_token: string | null;
  created_at: number;
  modified_at: number;
}

export function toDatastream(row: DatastreamRow): Datastream {
  return {
    configId: row.config_id,
    client: row.client,
    imsOrgId: row.ims_org_id,
    thirdPartyIdNamespace: row.third_party_id_namespace,
    propertyToken: row.property_token,
    createdAt: Number(row.created_at),
    modifiedAt: Number(row.modified_at),
  };
}

export class SqliteDatastreamsStore implements DatastreamsStore {
  private readonly byId;
  private readonly byClient;
  private readonly upsert;
  private readonly remove;

  constructor(private readonly db: SqliteDatabase) {
    this.byId = db.prepare<[string], DatastreamRow>('SELECT * FROM datastreams WHERE config_id = ?');
    this.byClient = db.prepare<[string], DatastreamRow>('SELECT * FROM datastreams WHERE client = ? ORDER BY config_id');
    this.upsert = db.prepare(
      `INSERT INTO datastreams (config_id, client, ims_org_id, third_party_id_namespace, property_token, created_at, modified_at)
       VALUES (@config_id, @client, @ims_org_id, @third_party_id_namespace, @property_token, @now, @now)
       ON CONFLICT (config_id) DO UPDATE SET ims_org_id = excluded.ims_org_id,
         third_party_id_namespace = excluded.third_party_id_namespace, property_token = excluded.property_token,
         modified_at = excluded.modified_at`,
    );
    this.remove = db.prepare('DELETE FROM datastreams WHERE client = ? AND config_id = ?');
  }

  async get(configId: string): Promise<Datastream | null> {
    const row = this.byId.get(configId);
    return row ? toDatastream(row) : null;
  }

  async list(client: string): Promise<Datastream[]> {
    return this.byClient.all(client).map(toDatastream);
  }

  async put(client: string, configId: string, fields: DatastreamFields, now: number): Promise<DatastreamPut> {
    return this.db
      .transaction((): DatastreamPut => {
        const existing = this.byId.get(configId);
        if (existing && existing.client !== client) return { takenBy: existing.client };
        this.upsert.run({
          config_id: configId,
          client,
          ims_org_id: fields.imsOrgId,
          third_party_id_namespace: fields.thirdPartyIdNamespace,
          property_token: fields.propertyToken,
          now,
        });
        const datastream = toDatastream(this.byId.get(configId)!);
        return existing ? { datastream, created: false } : { datastream, created: true };
      })
      .immediate();
  }

  async delete(client: string, configId: string): Promise<boolean> {
    return this.remove.run(client, configId).changes > 0;
  }
}
