import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/domain/clock.js';
import { DEFAULT_RESPONSE_TOKENS, MAX_RESPONSE_TOKENS } from '../src/features/decisioning/response-tokens.js';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';

/**
 * The activities admin API through real HTTP (also run on PostgreSQL by test/postgres-http.test.ts):
 * an operator creates, replaces, lists and deletes activities; each replacement is the next version,
 * also when two arrive at once; a bad activity is refused whole naming the field; and a client's
 * response-token list is set, read and reset.
 */
const clock = new ManualClock(Date.UTC(2026, 11, 1, 9));
let server: TestServer;
before(async () => {
  server = await startTestServer({ clock });
  await admin(server, 'PUT', '/admin/v1/clients/shop', {});
});
after(() => server.dispose());

const hero = (content = '<h1>Hello</h1>') => ({
  name: 'Spring hero',
  type: 'ab',
  state: 'live',
  priority: 10,
  experiences: [
    { id: 'A', name: 'Control', allocation: 50, offers: { hero: { type: 'html', content: '<h1>Hi</h1>' } } },
    { id: 'B', name: 'Spring', allocation: 50, offers: { hero: { type: 'html', content } } },
  ],
  metrics: [{ name: 'buy', type: 'click', location: 'buy-button' }],
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await server.fetch(path, {
    method,
    headers: { ...bearer(server.adminKey), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, etag: response.headers.get('etag'), body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

const activities = '/admin/v1/clients/shop/activities';

describe('activities', () => {
  test('an operator creates an activity (version 1), replaces it (version 2), reads, lists and deletes it', async () => {
    const created = await call('PUT', `${activities}/spring`, hero());
    assert.equal(created.status, 201);
    assert.equal(created.etag, '"1"');
    assert.deepEqual(created.body, {
      id: 'spring',
      version: 1,
      ...hero(),
      createdAt: '2026-12-01T09:00:00.000Z',
      modifiedAt: '2026-12-01T09:00:00.000Z',
    });
    clock.advance(60_000);
    // What a GET answered may be sent back as it is, changed.
    const replaced = await call('PUT', `${activities}/spring`, { ...created.body, name: 'Spring hero, take 2' });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body?.version, 2);
    assert.equal(replaced.body?.name, 'Spring hero, take 2');
    assert.equal(replaced.body?.createdAt, '2026-12-01T09:00:00.000Z');
    assert.equal(replaced.body?.modifiedAt, '2026-12-01T09:01:00.000Z');

    const read = await call('GET', `${activities}/spring`);
    assert.equal(read.status, 200);
    assert.equal(read.etag, '"2"');
    assert.deepEqual(read.body, replaced.body);

    await call('PUT', `${activities}/autumn`, hero());
    await call('PUT', `${activities}/Zeta`, hero());
    const list = await call('GET', activities);
    assert.deepEqual(
      (list.body!.activities as Array<{ id: string }>).map((a) => a.id),
      ['Zeta', 'autumn', 'spring'],
      'ordered by id, code-unit order',
    );

    assert.equal((await call('DELETE', `${activities}/autumn`)).status, 204);
    assert.equal((await call('GET', `${activities}/autumn`)).status, 404);
    const again = await call('DELETE', `${activities}/autumn`);
    assert.deepEqual(again, { status: 404, etag: null, body: { status: 404, message: "Client 'shop' has no activity 'autumn'" } });
    const recreated = await call('PUT', `${activities}/autumn`, hero());
    assert.equal(recreated.status, 201);
    assert.equal(recreated.body?.version, 1, 'a deleted activity starts again at version 1');
  });

  test('an invalid activity is refused whole, naming the field, and nothing is stored', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [
        {
          ...hero(),
          experiences: [
            { ...hero().experiences[0], allocation: 40 },
            { ...hero().experiences[1], allocation: 50 },
          ],
        },
        /experiences/,
      ],
      [{ ...hero(), priority: 1000 }, /^priority/],
      [{ ...hero(), colour: 'red' }, /colour is not a field of an activity/],
      [{ ...hero(), id: 'other' }, /does not match the activity id 'bad' of the path/],
      [[hero()], /an activity must be a JSON object/],
    ];
    for (const [body, message] of cases) {
      const answer = await call('PUT', `${activities}/bad`, body);
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.match(String(answer.body?.message), message);
      assert.equal(answer.body?.status, 400);
    }
    assert.equal((await call('GET', `${activities}/bad`)).status, 404);
    const badId = await call('PUT', `${activities}/bad.id`, hero());
    assert.equal(badId.status, 400);
    assert.match(String(badId.body?.message), /activity id 'bad.id' is invalid/);
    assert.equal((await call('GET', `${activities}/bad.id`)).status, 400);
  });

  test('unknown clients are a 404, and every call needs the admin key', async () => {
    for (const [method, path] of [
      ['GET', '/admin/v1/clients/nope/activities'],
      ['GET', '/admin/v1/clients/nope/activities/a'],
      ['PUT', '/admin/v1/clients/nope/activities/a'],
      ['DELETE', '/admin/v1/clients/nope/activities/a'],
    ] as const) {
      const answer = await call(method, path, method === 'PUT' ? hero() : undefined);
      assert.deepEqual(answer.body, { status: 404, message: "Unknown client 'nope'" }, `${method} ${path}`);
    }
    const anonymous = await server.fetch(`${activities}/spring`);
    assert.equal(anonymous.status, 401);
    const withProfileToken = await server.fetch(`${activities}/spring`, { headers: bearer(server.demoToken) });
    assert.equal(withProfileToken.status, 403);
    const put = await server.fetch(`${activities}/x`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(put.status, 401);
  });

  test('concurrent replacements each get their own version, and If-Match refuses a lost update', async () => {
    await call('PUT', `${activities}/busy`, hero());
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => call('PUT', `${activities}/busy`, hero(`<p>${i}</p>`))));
    assert.deepEqual(answers.map((a) => a.status).sort(), Array(8).fill(200));
    assert.deepEqual(
      answers.map((a) => a.body?.version).sort((x, y) => Number(x) - Number(y)),
      [2, 3, 4, 5, 6, 7, 8, 9],
    );
    const stale = await call('PUT', `${activities}/busy`, hero(), { 'if-match': '"3"' });
    assert.deepEqual(stale.body, { status: 412, message: "Activity 'busy' is at version 9, not 3 (If-Match)" });
    const current = await call('PUT', `${activities}/busy`, hero('<p>mine</p>'), { 'if-match': '"9"' });
    assert.equal(current.body?.version, 10);
    assert.equal((await call('PUT', `${activities}/fresh`, hero(), { 'if-match': '*' })).status, 412);
    assert.equal((await call('DELETE', `${activities}/busy`, undefined, { 'if-match': '"9"' })).status, 412);
    assert.equal((await call('DELETE', `${activities}/busy`, undefined, { 'if-match': 'yesterday' })).status, 400);
    assert.equal((await call('DELETE', `${activities}/busy`, undefined, { 'if-match': '"10"' })).status, 204);
  });

  test('an activity body over 1 MB is refused with 413', async () => {
    const big = hero('x'.repeat(1024 * 1024));
    const answer = await call('PUT', `${activities}/big`, big);
    assert.equal(answer.status, 413);
  });
});

describe('response tokens of a client', () => {
  const shop = '/admin/v1/clients/shop';

  test('default until chosen; a chosen list is answered as set; null resets it', async () => {
    assert.deepEqual((await call('GET', shop)).body?.responseTokens, [...DEFAULT_RESPONSE_TOKENS]);
    const chosen = ['activity.id', 'experience.name', 'profile.loyalty', 'user.segment', 'geo.city'];
    const set = await call('PUT', shop, { responseTokens: chosen });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body?.responseTokens, chosen);
    assert.deepEqual((await call('GET', shop)).body?.responseTokens, chosen);
    // Other settings leave the list alone.
    await call('PUT', shop, { profileLifetimeDays: 20 });
    assert.deepEqual((await call('GET', shop)).body?.responseTokens, chosen);
    assert.deepEqual((await call('PUT', shop, { responseTokens: [] })).body?.responseTokens, []);
    assert.deepEqual((await call('PUT', shop, { responseTokens: null })).body?.responseTokens, [...DEFAULT_RESPONSE_TOKENS]);
  });

  test('an unknown name, a duplicate or too many names are refused', async () => {
    const bad = await call('PUT', shop, { responseTokens: ['activity.id', 'campaign.colour'] });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body?.message), /^responseTokens\[1\]: "campaign.colour" is not a response token/);
    for (const responseTokens of [
      ['activity.id', 'activity.id'],
      Array.from({ length: MAX_RESPONSE_TOKENS + 1 }, (_, i) => `profile.a${i}`),
      'activity.id',
    ]) {
      const answer = await call('PUT', shop, { responseTokens });
      assert.equal(answer.status, 400, JSON.stringify(responseTokens).slice(0, 80));
      assert.match(String(answer.body?.message), /^responseTokens must be a list of at most 100 different response-token names/);
    }
    assert.equal((await call('PUT', shop, { responseTokens: [7] })).body?.message, 'responseTokens[0] must be a string');
    assert.deepEqual((await call('GET', shop)).body?.responseTokens, [...DEFAULT_RESPONSE_TOKENS], 'nothing changed');
  });
});
