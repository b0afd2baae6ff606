import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deliver } from './support/delivery.js';
import { admin, startTestServer, type TestServer } from './support/server.js';

/**
 * The rules artifact through HTTP: served from the client's activities with ETag and 304, rebuilt
 * when an activity changes, never with profile data; an Adobe artifact imported, refused whole when
 * invalid, served back unchanged, decided server-side in Delivery and its display notifications
 * counted once. Runs on SQLite here and on PostgreSQL through test/postgres-http.test.ts.
 */
const SCHEMA = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@adobe/target-decisioning-engine/package.json')),
  'test',
  'schema',
);
// biome-ignore lint/suspicious/noExplicitAny: Adobe's artifact is JSON
const adobeArtifact = (name: string): any => JSON.parse(readFileSync(path.join(SCHEMA, 'artifacts', `${name}.json`), 'utf8'));

let server: TestServer;

// biome-ignore lint/suspicious/noExplicitAny: answers are asserted field by field
const json = async (response: Response | Promise<Response>): Promise<any> => (await response).json();

const PROMO = {
  name: 'Promo',
  type: 'ab',
  state: 'live',
  priority: 0,
  experiences: [
    { id: 'A', allocation: 50, offers: { promo: { type: 'html', content: '<p>A</p>' } } },
    { id: 'B', allocation: 50, offers: { promo: { type: 'html', content: '<p>B</p>' } } },
  ],
  metrics: [],
};

const GOLD_ONLY = {
  name: 'Gold only',
  type: 'xt',
  state: 'live',
  priority: 0,
  audience: { '==': [{ var: 'profile.tier' }, 'gold'] },
  experiences: [{ id: 'gold', offers: { members: { type: 'html', content: '<p>Gold</p>' } } }],
  metrics: [],
};

const rules = (client = 'demo', headers: Record<string, string> = {}) => server.fetch(`/${client}/production/v1/rules.json`, { headers });

before(async () => {
  server = await startTestServer();
});
after(() => server.dispose());

describe('serving the rules artifact', () => {
  test('is built from live activities, with an ETag, 304 on If-None-Match, and a new ETag after a change', async () => {
    assert.equal((await admin(server, 'PUT', '/admin/v1/clients/demo/activities/promo', PROMO)).status, 201);
    const first = await rules();
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type')!, /^application\/json/);
    assert.match(first.headers.get('cache-control')!, /max-age=\d+/);
    assert.equal(first.headers.get('access-control-allow-origin'), '*');
    const etag = first.headers.get('etag')!;
    const artifact = await json(first);
    assert.equal(artifact.version, '1.0.0');
    assert.deepEqual(artifact.meta, { clientCode: 'demo', environment: 'production' });
    assert.equal(artifact.rules.mboxes.promo.length, 2);
    assert.ok(artifact.localMboxes.includes('promo'));

    const again = await rules('demo', { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');

    assert.equal((await admin(server, 'PUT', '/admin/v1/clients/demo/activities/promo', { ...PROMO, name: 'Promo 2' })).status, 200);
    const changed = await rules('demo', { 'if-none-match': etag });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get('etag'), etag);
  });

  test('a location that needs the profile is remote and has no rules; no profile data is ever in it', async () => {
    assert.equal((await admin(server, 'PUT', '/admin/v1/clients/demo/activities/gold', GOLD_ONLY)).status, 201);
    await deliver(server, 'client=demo&sessionId=s1', {
      context: { channel: 'web' },
      id: { tntId: 'secret-visitor' },
      execute: { mboxes: [{ index: 0, name: 'members', profileParameters: { tier: 'gold', email: 'ada@example.com' } }] },
    });
    const text = await (await rules()).text();
    const artifact = JSON.parse(text);
    assert.ok(artifact.remoteMboxes.includes('members'));
    assert.equal(artifact.rules.mboxes.members, undefined);
    for (const secret of ['secret-visitor', 'ada@example.com', '"tier"']) assert.ok(!text.includes(secret), secret);
  });

  test('an unknown client or environment is a 404', async () => {
    assert.equal((await rules('nobody')).status, 404);
    const staging = await server.fetch('/demo/staging/v1/rules.json');
    assert.equal(staging.status, 404);
    assert.match((await json(staging)).message, /production/);
  });
});

describe('importing an Adobe artifact', () => {
  const CLIENT = 'migrating';

  before(async () => {
    assert.equal((await admin(server, 'PUT', `/admin/v1/clients/${CLIENT}`, {})).status, 201);
  });

  test('is refused whole when invalid, with the field named', async () => {
    const wrongVersion = await admin(server, 'PUT', `/admin/v1/clients/${CLIENT}/artifact`, {
      ...adobeArtifact('TEST_ARTIFACT_AB_SIMPLE'),
      version: '2.0.0',
    });
    assert.equal(wrongVersion.status, 400);
    assert.match((await json(wrongVersion)).message, /version/);
    const badRule = adobeArtifact('TEST_ARTIFACT_AB_SIMPLE');
    badRule.rules.mboxes['mbox-magician'][0].condition = { nope: [1] };
    const refused = await admin(server, 'PUT', `/admin/v1/clients/${CLIENT}/artifact`, badRule);
    assert.equal(refused.status, 400);
    assert.match((await json(refused)).message, /mbox-magician/);
    assert.equal((await admin(server, 'GET', `/admin/v1/clients/${CLIENT}/artifact`)).status, 404);
  });

  test('is summarised, served back unchanged, and decided server-side as Adobe’s engine decides', async () => {
    const artifact = adobeArtifact('TEST_ARTIFACT_AB_SIMPLE');
    const put = await admin(server, 'PUT', `/admin/v1/clients/${CLIENT}/artifact`, artifact);
    assert.equal(put.status, 200, await put.clone().text());
    const summary = await json(put);
    assert.equal(summary.version, 1);
    assert.equal(summary.clientCode, 'targettesting');
    assert.ok(summary.mboxes.includes('mbox-magician'));
    const magician = summary.activities.find((activity: { id: string }) => activity.id === 'adobe:125873');
    assert.equal(magician.name, '[unit-test] mbox-magician');
    assert.deepEqual((await json(admin(server, 'GET', `/admin/v1/clients/${CLIENT}/artifact`))).activities, summary.activities);

    assert.deepEqual(await json(rules(CLIENT)), artifact);

    // Adobe's own case: this visitor gets experience A's json offer.
    const { body } = await deliver(server, `client=${CLIENT}&sessionId=s1`, {
      context: { channel: 'web', address: { url: 'http://local-target-test:8080/' } },
      id: { tntId: '338e3c1e51f7416a8e1ccba4f81acea0.28_0', marketingCloudVisitorId: '07327024324407615852294135870030620007' },
      execute: { mboxes: [{ name: 'mbox-magician', index: 2 }] },
    });
    const [option] = body.execute.mboxes[0].options;
    assert.deepEqual(option.content, { doMagic: true, importantValue: 150 });
    assert.equal(option.responseTokens['activity.decisioningMethod'], 'server-side');
  });

  test("the artifact's display tokens count impressions of the imported activity, once per notification id", async () => {
    const { body } = await deliver(server, `client=${CLIENT}&sessionId=s2`, {
      context: { channel: 'web' },
      id: { tntId: 'importer-1' },
      prefetch: { mboxes: [{ name: 'mbox-magician', index: 0 }] },
    });
    const token = body.prefetch.mboxes[0].options[0].eventToken;
    assert.ok(token);
    const notification = {
      context: { channel: 'web' },
      id: { tntId: 'importer-1' },
      notifications: [
        { id: 'imported-display-1', type: 'display', timestamp: Date.now(), mbox: { name: 'mbox-magician' }, tokens: [token] },
      ],
    };
    for (let send = 0; send < 2; send += 1)
      assert.equal((await deliver(server, `client=${CLIENT}&sessionId=s2`, notification)).status, 200);
    const report = await json(admin(server, 'GET', `/admin/v1/clients/${CLIENT}/activities/adobe:125873/report`));
    const impressions = report.experiences.reduce((sum: number, experience: { impressions: number }) => sum + experience.impressions, 0);
    assert.equal(impressions, 2, 'one executed decision earlier, one notified display');
  });

  test("the client's own activities take their locations; the imported rules keep the others, in Delivery and in the served artifact", async () => {
    const own = { ...PROMO, experiences: PROMO.experiences.map((e) => ({ ...e, offers: { 'mbox-magician': e.offers.promo } })) };
    assert.equal((await admin(server, 'PUT', `/admin/v1/clients/${CLIENT}/activities/own`, own)).status, 201);
    const served = await json(rules(CLIENT));
    assert.equal(served.meta.clientCode, CLIENT);
    assert.equal(served.rules.mboxes['mbox-magician'][0].activityId, 'own');
    const imported = adobeArtifact('TEST_ARTIFACT_AB_SIMPLE');
    const otherMbox = Object.keys(imported.rules.mboxes).find((name) => name !== 'mbox-magician')!;
    assert.deepEqual(served.rules.mboxes[otherMbox], imported.rules.mboxes[otherMbox]);

    const { body } = await deliver(server, `client=${CLIENT}&sessionId=s3`, {
      context: { channel: 'web' },
      id: { tntId: 'importer-2' },
      execute: { mboxes: [{ name: 'mbox-magician', index: 0 }] },
    });
    assert.match(body.execute.mboxes[0].options[0].content, /^<p>[AB]<\/p>$/);

    assert.equal((await admin(server, 'DELETE', `/admin/v1/clients/${CLIENT}/artifact`)).status, 204);
    assert.equal((await admin(server, 'DELETE', `/admin/v1/clients/${CLIENT}/artifact`)).status, 404);
    assert.equal((await json(rules(CLIENT))).rules.mboxes[otherMbox], undefined);
  });
});
