import fs from 'node:fs';
import { after } from 'node:test';
import { parseConfig } from '../src/config.js';
import { openStores } from '../src/store/open-stores.js';
import { describeStoreContract } from './store-contract/stores-contract.js';
import { tempDir } from './support/server.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

describeStoreContract('sqlite', async () => {
  const dataDir = tempDir();
  dirs.push(dataDir);
  return openStores(parseConfig({}, { dataDir }));
});
