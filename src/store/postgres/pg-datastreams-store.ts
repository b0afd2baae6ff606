import type { Datastream, DatastreamFields, DatastreamPut, DatastreamsStore } from '../../features/datastreams/datastreams-store.js';
import { toDatastream } from '../sqlite/sqlite-datastreams-store.js';
import { inTransaction, type PgPool } from './database.js';

export class PgDatastreamsStore implements DatastreamsStore {
  constructor(private readonly pool: PgPool) {}

  async get(configId: string): Promise<Datastream | null> {
    const { rows } = await this.pool.query('SELECT * FROM datastreams WHERE config_id = $1', [configId]);
    return rows[0] ? toDatastream(rows[0]) : null;
  }

  async list(client: string): Promise<Datastream[]> {
    const { rows } = await this.pool.query('SELECT * FROM datastreams WHERE client = $1 ORDER BY config_id', [client]);
    return rows.map(toDatastream);
  }

  async put(client: string, configId: string, fields: DatastreamFields, now: number): Promise<DatastreamPut> {
    return inTransaction(this.pool, async (db) => {
      // Insert if missing (a no-op otherwise), then lock the row: concurrent PUTs of one id serialize here.
      const inserted = await db.query(
        `INSERT INTO datastreams (config_id, client, ims_org_id, third_party_id_namespace, property_token, created_at, modified_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (config_id) DO NOTHING`,
        [configId, client, fields.imsOrgId, fields.thirdPartyIdNamespace, fields.propertyToken, now],
      );
      if (inserted.rowCount === 1) {
        const { rows } = await db.query('SELECT * FROM datastreams WHERE config_id = $1', [configId]);
        return { datastream: toDatastream(rows[0]), created: true };
      }
      const { rows } = await db.query('SELECT * FROM datastreams WHERE config_id = $1 FOR UPDATE', [configId]);
      if (rows[0].client !== client) return { takenBy: rows[0].client as string };
      const updated = await db.query(
        `UPDATE datastreams SET ims_org_id = $2, third_party_id_namespace = $3, property_token = $4, modified_at = $5
          WHERE config_id = $1 RETURNING *`,
        [configId, fields.imsOrgId, fields.thirdPartyIdNamespace, fields.propertyToken, now],
      );
      return { datastream: toDatastream(updated.rows[0]), created: false };
    });
  }

  async delete(client: string, configId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM datastreams WHERE client = $1 AND config_id = $2', [client, configId]);
    return (rowCount ?? 0) > 0;
  }
}
