import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { consoleApiTypes, SCHEMA_FILE } from '../scripts/console-api.js';

/**
 * The console's API client is typed from the server's own OpenAPI document
 * (docs/console.md#the-typed-client): the committed types must be what `npm run console:api`
 * generates now, so a route or schema changed without regenerating them fails here (and the
 * console's typecheck then shows every call the change breaks).
 */
test('console/src/api/schema.d.ts is generated from the current /openapi.json (run npm run console:api)', async () => {
  const committed = fs.readFileSync(SCHEMA_FILE, 'utf8');
  const generated = await consoleApiTypes();
  assert.ok(generated.includes('"/admin/v1/clients/{client}/profiles/{kind}/{id}"'));
  assert.ok(committed === generated, 'console/src/api/schema.d.ts is stale: run npm run console:api and commit it');
});
