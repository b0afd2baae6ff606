import fs from 'node:fs';
import { after, before } from 'node:test';
import { parseConfig } from '../src/config.js';
import { openStores } from '../src/store/open-stores.js';
import { describeStoreContract } from './store-contract/stores-contract.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';
import { tempDir } from './support/server.js';

const dirs: string[] = [];
/** The quick development lane (`npm run test:quick`) runs the contract on SQLite only. */
const withPostgres = process.env.TEST_LANE !== 'quick';
let postgres: TestPostgres | undefined;
before(async () => {
  if (withPostgres) postgres = await startPostgres();
});
after(async () => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  await postgres?.stop();
});

describeStoreContract('sqlite', async () => {
  const dataDir = tempDir();
  dirs.push(dataDir);
  return openStores(parseConfig({}, { dataDir }));
});

if (withPostgres) {
  describeStoreContract('postgres', async () => openStores(parseConfig({}, { databaseUrl: await postgres!.createDatabase() })));
}
