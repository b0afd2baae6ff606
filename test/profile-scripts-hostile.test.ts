import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { attributesOf, deliver } from './support/delivery.js';
import { admin, startTestServer, type TestServer } from './support/server.js';

/**
 * The hostile-script corpus (test/hostile/scripts/*.json, format in its README): escapes, poisoning
 * of the host objects, runaway loops, recursion, regexes, huge strings and arrays, reads of another
 * client's data. Each is stopped (disabled with its reason) or contained (its value shows it), the
 * call that ran it is answered, and the server stays healthy with the client's other script running.
 */
const CORPUS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hostile', 'scripts');

interface ScriptCase {
  name: string;
  source: string;
  expect: { status: 'active'; value: string } | { status: 'disabled'; reason: string | string[] } | { status: 'refused' };
}

const corpus = fs
  .readdirSync(CORPUS_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .flatMap((file) => (JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, file), 'utf8')) as ScriptCase[]).map((c) => ({ file, ...c })));

let server: TestServer;
let session = 0;
const VISITOR = 'shared-hostile';

async function putScript(client: string, name: string, source: string): Promise<Response> {
  return admin(server, 'PUT', `/admin/v1/clients/${client}/profile-scripts/${name}`, { source });
}

async function visit(client: string, profileParameters?: Record<string, string>): Promise<void> {
  session += 1;
  const answer = await deliver(server, `client=${client}&sessionId=h${session}`, {
    context: { channel: 'web' },
    id: { tntId: VISITOR },
    execute: { mboxes: [{ index: 0, name: 'hero', ...(profileParameters ? { profileParameters } : {}) }] },
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
}

async function scriptDocument(name: string): Promise<{ status: string; disabledReason: string | null; disabledMessage: string | null }> {
  const response = await admin(server, 'GET', `/admin/v1/clients/demo/profile-scripts/${name}`);
  assert.equal(response.status, 200);
  return (await response.json()) as { status: string; disabledReason: string | null; disabledMessage: string | null };
}

before(async () => {
  server = await startTestServer();
  assert.equal((await admin(server, 'PUT', '/admin/v1/clients/acme', {})).status, 201);
  const secret = await putScript(
    'acme',
    'secret',
    "user.setLocal('secret', 'acme-local'); try { acmeWasHere = 1; } catch (e) {} return 'acme-secret';",
  );
  assert.equal(secret.status, 201, await secret.text());
  await visit('acme', { acmeOnly: 'acme-data' });
  const canary = await putScript('demo', 'canary', "user.setLocal('seen', '1'); return 'alive';");
  assert.equal(canary.status, 201);
  await visit('demo');
});
after(() => server.dispose());

describe('hostile profile scripts', () => {
  corpus.forEach((c, index) => {
    test(`${c.file}: ${c.name}`, async () => {
      const name = `hostile${index}`;
      const stored = await putScript('demo', name, c.source);
      if (c.expect.status === 'refused') {
        assert.equal(stored.status, 400, await stored.text());
        return;
      }
      assert.equal(stored.status, 201, await stored.text());
      await visit('demo');
      await visit('demo');
      const document = await scriptDocument(name);
      if (c.expect.status === 'disabled') {
        assert.equal(document.status, 'disabled', `expected ${c.expect.reason}`);
        assert.ok(
          [c.expect.reason].flat().includes(document.disabledReason ?? ''),
          `${document.disabledReason}: ${document.disabledMessage}`,
        );
      } else {
        assert.equal(document.status, 'active', document.disabledMessage ?? '');
        const attributes = await attributesOf(server, VISITOR);
        assert.equal(attributes?.[`user.${name}`], c.expect.value);
      }
      // The server and the client's other script are unharmed.
      assert.equal((await server.fetch('/healthz')).status, 200);
      assert.equal((await scriptDocument('canary')).status, 'active');
      assert.equal((await attributesOf(server, VISITOR))?.['user.canary'], 'alive');
      assert.equal((await admin(server, 'DELETE', `/admin/v1/clients/demo/profile-scripts/${name}`)).status, 204);
    });
  });

  test('the other client kept its data to itself, and its own script still runs', async () => {
    const response = await admin(server, 'GET', `/admin/v1/clients/acme/profiles/tntId/${VISITOR}`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /acme-secret/);
    const demo = await attributesOf(server, VISITOR);
    assert.equal(demo?.['user.secret'], undefined);
    assert.equal(demo?.acmeOnly, undefined);
  });
});
