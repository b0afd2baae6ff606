import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { attributesOf, deliver } from './support/delivery.js';
import { admin as adminCall, startTestServer, type TestServer } from './support/server.js';

/**
 * Profile scripts and category affinity through HTTP (docs/profile-scripts.md): the admin API, the
 * script's value deciding the very request that computed it, a failing script disabled with its
 * reason (admin API and /metrics) while the request is answered, re-enabled by a PUT, a delete
 * refused while an activity reads the attribute, trial runs that store nothing, and the affinity
 * in conditions, response tokens and the fetch API. Runs on SQLite here and on PostgreSQL through
 * test/postgres-http.test.ts.
 */

// biome-ignore lint/suspicious/noExplicitAny: answers are asserted field by field
type Json = any;

/** An admin call whose JSON answers are asserted field by field. */
async function admin(on: TestServer, method: string, path: string, body?: unknown) {
  const response = await adminCall(on, method, path, body);
  return { status: response.status, json: (): Promise<Json> => response.json(), text: () => response.text() };
}

interface Trial {
  result: string | null;
  attribute: string;
  wouldWrite: string | null;
  locals: Record<string, string>;
  error: { reason: string; message: string } | null;
}

let server: TestServer;
let session = 0;

async function putScript(name: string, body: unknown) {
  return admin(server, 'PUT', `/admin/v1/clients/demo/profile-scripts/${name}`, body);
}

async function visit(tntId: string, mbox: Record<string, unknown> = {}, sameSession = false) {
  if (!sameSession) session += 1;
  const answer = await deliver(server, `client=demo&sessionId=ps${session}`, {
    context: { channel: 'web', address: { url: 'https://shop.example/p?sku=42' } },
    id: { tntId },
    execute: { mboxes: [{ index: 0, name: 'hero', ...mbox }] },
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
}

before(async () => {
  server = await startTestServer();
  const response = await admin(server, 'PUT', '/admin/v1/clients/demo', {
    responseTokens: ['activity.id', 'profile.categoryAffinity', 'profile.categoryAffinities', 'user.visits'],
  });
  assert.equal(response.status, 200, await response.text());
});
after(() => server.dispose());

describe('the admin API', () => {
  test('a script is created (201), read, listed and replaced with its next version (200)', async () => {
    const created = await putScript('greeting', { source: "return 'hello';", description: 'says hello' });
    assert.equal(created.status, 201);
    const document = await created.json();
    assert.equal(document.attribute, 'user.greeting');
    assert.equal(document.status, 'active');
    assert.equal(document.version, 1);
    const replaced = await putScript('greeting', { source: "return 'hi';" });
    assert.equal(replaced.status, 200);
    assert.equal((await replaced.json()).version, 2);
    const list: Json = await (await admin(server, 'GET', '/admin/v1/clients/demo/profile-scripts')).json();
    assert.ok(list.scripts.some((script: { name: string }) => script.name === 'greeting'));
    assert.equal((await admin(server, 'DELETE', '/admin/v1/clients/demo/profile-scripts/greeting')).status, 204);
    assert.equal((await admin(server, 'GET', '/admin/v1/clients/demo/profile-scripts/greeting')).status, 404);
  });

  test('a bad name, a reserved name and a source that does not compile are refused with 400 and the compiler’s message', async () => {
    assert.equal((await putScript('1bad', { source: 'return 1' })).status, 400);
    assert.equal((await putScript('categoryAffinity', { source: 'return 1' })).status, 400);
    const broken = await putScript('broken', { source: 'return (' });
    assert.equal(broken.status, 400);
    assert.match((await broken.json()).message, /SyntaxError/);
    const breakout = await putScript('breakout', { source: '}); (function(){' });
    assert.equal(breakout.status, 400, 'a source that closes the function body is not a body');
  });
});

describe('scripts in the visit', () => {
  test('a counter runs before decisions: its value decides the same request and comes back as a response token', async () => {
    const counter = await putScript('visits', {
      source: "var n = Number(user.get('visits')) || 0; if (user.isNewSession) return n + 1;",
    });
    assert.equal(counter.status, 201, await counter.text());
    const activity = await admin(server, 'PUT', '/admin/v1/clients/demo/activities/loyal', {
      name: 'Loyal visitors',
      type: 'xt',
      state: 'live',
      priority: 5,
      audience: { '>=': [{ var: 'user.visits' }, 2] },
      experiences: [{ id: 'loyal', offers: { hero: { type: 'html', content: 'welcome back' } } }],
      metrics: [],
    });
    assert.equal(activity.status, 201, await activity.text());

    const first = await visit('counter-1');
    assert.deepEqual(first.execute.mboxes[0].options ?? [], []);
    const second = await visit('counter-1');
    const [option] = second.execute.mboxes[0].options;
    assert.equal(option.content, 'welcome back', 'the value written by this request decided it');
    assert.equal(option.responseTokens['user.visits'], '2');
    const sameSession = await visit('counter-1', {}, true);
    assert.equal(sameSession.execute.mboxes[0].options[0].responseTokens['user.visits'], '2', 'undefined writes nothing');
    assert.equal((await attributesOf(server, 'counter-1'))?.['user.visits'], '2');
  });

  test('a script whose attribute an activity reads cannot be deleted (409)', async () => {
    const response = await admin(server, 'DELETE', '/admin/v1/clients/demo/profile-scripts/visits');
    assert.equal(response.status, 409);
    assert.match((await response.json()).message, /loyal/);
  });

  test('locals persist per script, and mbox, page and profile objects answer from the request', async () => {
    const response = await putScript('lastSku', {
      source:
        "user.setLocal('seen', (Number(user.getLocal('seen')) || 0) + 1); return [mbox.name, page.param('sku'), profile.get('tier'), user.getLocal('seen')];",
    });
    assert.equal(response.status, 201, await response.text());
    await visit('locals-1', { profileParameters: { tier: 'gold' } });
    await visit('locals-1');
    const attributes = await attributesOf(server, 'locals-1');
    assert.equal(attributes?.['user.lastSku'], 'hero,42,gold,2');
    assert.equal(attributes?.['user.lastSku.local.seen'], '2');
    assert.equal((await admin(server, 'DELETE', '/admin/v1/clients/demo/profile-scripts/lastSku')).status, 204);
  });
});

describe('a failing script', () => {
  for (const [name, source, reason] of [
    ['spin', 'for (;;) {}', 'budget'],
    ['thrower', "throw new Error('no')", 'threw'],
    ['verbose', "return 'x'.repeat(3000)", 'tooLong'],
  ] as const) {
    test(`${reason}: disabled with its reason, its attribute kept, the request answered, re-enabled by a PUT`, async () => {
      assert.equal((await putScript(name, { source: `return 'ok';` })).status, 201);
      await visit(`fail-${name}`);
      assert.equal((await attributesOf(server, `fail-${name}`))?.[`user.${name}`], 'ok');
      assert.equal((await putScript(name, { source })).status, 200);
      const answer = await visit(`fail-${name}`);
      assert.ok(answer.execute.mboxes, 'answered normally');
      const document = (await (await admin(server, 'GET', `/admin/v1/clients/demo/profile-scripts/${name}`)).json()) as Record<
        string,
        unknown
      >;
      assert.equal(document.status, 'disabled');
      assert.equal(document.disabledReason, reason);
      assert.ok(document.disabledMessage);
      assert.equal((await attributesOf(server, `fail-${name}`))?.[`user.${name}`], 'ok', 'the attribute is kept');
      const metrics = await (await admin(server, 'GET', '/metrics')).text();
      assert.match(metrics, new RegExp(`profile_edge_profile_scripts_disabled\\{reason="${reason}"\\} [1-9]`));
      const again = await putScript(name, { source: "return 'back';" });
      assert.equal(((await again.json()) as { status: string }).status, 'active');
      await visit(`fail-${name}`);
      assert.equal((await attributesOf(server, `fail-${name}`))?.[`user.${name}`], 'back');
      assert.equal((await admin(server, 'DELETE', `/admin/v1/clients/demo/profile-scripts/${name}`)).status, 204);
    });
  }
});

describe('trial runs', () => {
  test('try runs an unsaved source against a visitor and a sample request, storing nothing and disabling nothing', async () => {
    await visit('trial-1', { profileParameters: { tier: 'silver' } });
    const before = await attributesOf(server, 'trial-1');
    const response = await admin(server, 'POST', '/admin/v1/clients/demo/profile-scripts/visits/try', {
      source: "user.setLocal('k', 'v'); return profile.get('tier') + '/' + mbox.param('color') + '/' + page.domain;",
      tntId: 'trial-1',
      mbox: { name: 'hero', parameters: { color: 'red' } },
      context: { url: 'https://shop.example/x' },
    });
    assert.equal(response.status, 200);
    const trial = (await response.json()) as Trial;
    assert.equal(trial.result, 'silver/red/shop.example');
    assert.equal(trial.attribute, 'user.visits');
    assert.equal(trial.wouldWrite, 'silver/red/shop.example');
    assert.deepEqual(trial.locals, { k: 'v' });
    assert.equal(trial.error, null);
    const failing = (await (
      await admin(server, 'POST', '/admin/v1/clients/demo/profile-scripts/visits/try', { source: 'while (true) {}' })
    ).json()) as Trial;
    assert.equal(failing.error?.reason, 'budget');
    assert.deepEqual(await attributesOf(server, 'trial-1'), before, 'nothing stored');
    const stored = (await (await admin(server, 'GET', '/admin/v1/clients/demo/profile-scripts/visits')).json()) as { status: string };
    assert.equal(stored.status, 'active', 'a trial never disables');
  });
});

describe('urls in scripts', () => {
  test('page, referrer and landing read the request’s urls: the landing url is the page’s', async () => {
    const response = await admin(server, 'POST', '/admin/v1/clients/demo/profile-scripts/visits/try', {
      source:
        "return [page.url, page.domain, page.query, page.param('q'), referrer.domain, referrer.protocol, landing.url, landing.param('q'), landing.query].join('|');",
      mbox: { name: 'hero' },
      context: { url: 'https://shop.example/search?q=shoes', referringUrl: 'http://news.example/a' },
    });
    assert.equal(response.status, 200);
    const trial = (await response.json()) as Trial;
    assert.equal(trial.error, null);
    assert.equal(
      trial.result,
      'https://shop.example/search?q=shoes|shop.example|q=shoes|shoes|news.example|http|https://shop.example/search?q=shoes|shoes|q=shoes',
    );
  });
});

describe('category affinity', () => {
  test('user.categoryId of each call ranks categories: in conditions, response tokens and the fetch API', async () => {
    const activity = await admin(server, 'PUT', '/admin/v1/clients/demo/activities/shoe-lovers', {
      name: 'Shoe lovers',
      type: 'xt',
      state: 'live',
      priority: 50,
      audience: { '==': [{ var: 'user.categoryAffinity' }, 'shoes'] },
      experiences: [{ id: 'shoes', offers: { hero: { type: 'html', content: 'new shoes' } } }],
      metrics: [],
    });
    assert.equal(activity.status, 201, await activity.text());
    await visit('affinity-1', { parameters: { 'user.categoryId': 'bags' } });
    const answer = await visit('affinity-1', { parameters: { 'user.categoryId': 'shoes,shoes' } }, true);
    const [option] = answer.execute.mboxes[0].options;
    assert.equal(option.content, 'new shoes');
    assert.equal(option.responseTokens['profile.categoryAffinity'], 'shoes');
    assert.equal(option.responseTokens['profile.categoryAffinities'], 'shoes,bags');
    const attributes = await attributesOf(server, 'affinity-1');
    assert.equal(attributes?.['user.categoryAffinity'], 'shoes');
    assert.equal(attributes?.['user.categoryAffinity.scores'], '[["bags",9],["shoes",10]]');
    const exported = await (await admin(server, 'POST', '/admin/v1/clients/demo/privacy/export', { tntId: 'affinity-1' })).json();
    assert.equal(exported.profileAttributes['user.categoryAffinities'].value, 'shoes,bags', 'the privacy export shows the affinity');
  });
});
