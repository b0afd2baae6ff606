import type { PgMigration } from './index.js';

/**
 * Single-shard statements only (Citus):
 * - `profiles.ids` lists each profile's ids (src/store/postgres/id-lists.ts), so that listing,
 *   moving or deleting a profile's ids reaches each id row by its own key instead of scanning
 *   `profile_ids` by profile key on every shard. The index that served that scan goes.
 * - `profiles.version` counts the writes of a row: a single update reads without locks and
 *   writes back only if the version is still the one it read (src/store/postgres/pg-profiles-store.ts).
 */
export const idLists: PgMigration = {
  version: 3,
  name: 'id-lists',
  sql: `
    ALTER TABLE profiles ADD COLUMN ids TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE profiles ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
    UPDATE profiles AS p SET ids = listed.ids
      FROM (SELECT client, profile_key,
                   json_agg(json_build_array(id_kind, id_value) ORDER BY id_kind COLLATE "C", id_value COLLATE "C")::text AS ids
              FROM profile_ids GROUP BY client, profile_key) AS listed
     WHERE p.client = listed.client AND p.profile_key = listed.profile_key;
    DROP INDEX profile_ids_by_profile;
  `,
};
