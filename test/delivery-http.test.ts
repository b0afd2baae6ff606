import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { admin, startTestServer, type TestServer } from './support/server.js';
import { attributesOf, deliver } from './support/delivery.js';

/** The Delivery API over plain HTTP: request model, validation, client resolution, CORS. */
let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.dispose());

const CONTEXT = { channel: 'web' };
const params = (count: number, value = 'v') => Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, value]));
const mboxes = (count: number) => Array.from({ length: count }, (_, i) => ({ name: `m${i}`, index: i }));

describe('answers in the Delivery API shape', () => {
  test('a first visit gets a minted 32-hex tntId, its mboxes echoed with empty options and no edgeHost', async () => {
    const { status, body } = await deliver(server, 'client=demo&sessionId=s1', {
      requestId: 'req-1',
      context: CONTEXT,
      execute: { pageLoad: {}, mboxes: [{ name: 'hero', index: 3 }] },
      prefetch: { pageLoad: {}, views: [{ name: 'home', key: 'k' }, {}], mboxes: [{ name: 'promo', index: 0 }] },
    });
    assert.equal(status, 200);
    assert.match(body.id.tntId, /^[0-9a-f]{32}$/);
    assert.deepEqual(body, {
      status: 200,
      requestId: 'req-1',
      client: 'demo',
      id: { tntId: body.id.tntId },
      execute: { pageLoad: { options: [] }, mboxes: [{ index: 3, name: 'hero', options: [] }] },
      prefetch: {
        pageLoad: { options: [] },
        views: [{ name: 'home', key: 'k', options: [] }, { options: [] }],
        mboxes: [{ index: 0, name: 'promo', options: [] }],
      },
    });
  });

  test('a request without requestId gets a fresh one; mbox indexes default to their position', async () => {
    const { body } = await deliver(server, 'client=demo&sessionId=s1', {
      context: CONTEXT,
      execute: { mboxes: [{ name: 'a' }, { name: 'b' }] },
    });
    assert.match(body.requestId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(
      body.execute.mboxes.map((m: { index: number }) => m.index),
      [0, 1],
    );
  });

  test('every id sent is echoed; a location hint is kept in the echo but not in the profile key', async () => {
    const { body } = await deliver(server, 'client=demo&sessionId=s1', {
      context: CONTEXT,
      id: {
        tntId: 'hinted0000000000000000000000000a.28_20',
        thirdPartyId: 'echo-person',
        marketingCloudVisitorId: '1234',
        customerIds: [{ id: 'c1', integrationCode: 'crm', authenticatedState: 'logged_out' }],
      },
      execute: { pageLoad: { profileParameters: { seen: 'yes' } } },
    });
    assert.deepEqual(body.id, {
      tntId: 'hinted0000000000000000000000000a.28_20',
      thirdPartyId: 'echo-person',
      marketingCloudVisitorId: '1234',
      customerIds: [{ id: 'c1', integrationCode: 'crm', authenticatedState: 'logged_out' }],
    });
    assert.equal((await attributesOf(server, 'hinted0000000000000000000000000a'))?.seen, 'yes');
  });

  test('notifications are answered by id; their profile parameters are stored', async () => {
    const { body } = await deliver(server, 'client=demo&sessionId=s1', {
      context: CONTEXT,
      id: { tntId: 'notified' },
      notifications: [
        { id: 'n1', type: 'display', timestamp: 1, mbox: { name: 'x' }, tokens: ['t'], profileParameters: { clicked: 'no' } },
        { id: 'n2', type: 'click', timestamp: 2, profileParameters: { clicked: 'yes' } },
      ],
    });
    assert.deepEqual(body.notifications, [{ id: 'n1' }, { id: 'n2' }]);
    assert.equal((await attributesOf(server, 'notified'))?.clicked, 'yes', 'later parameters win within a request');
  });

  test('every profileParameters location is written, in one request', async () => {
    await deliver(server, 'client=demo&sessionId=s1', {
      context: CONTEXT,
      id: { tntId: 'everywhere' },
      execute: { pageLoad: { profileParameters: { a: '1' } }, mboxes: [{ name: 'm', index: 0, profileParameters: { b: '2' } }] },
      prefetch: {
        pageLoad: { profileParameters: { c: '3' } },
        views: [{ name: 'v', profileParameters: { d: '4' } }],
        mboxes: [{ name: 'm', index: 0, profileParameters: { e: '5' } }],
      },
      notifications: [{ id: 'n', profileParameters: { f: '6' } }],
    });
    const attributes = await attributesOf(server, 'everywhere');
    assert.deepEqual(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => attributes?.[name]),
      ['1', '2', '3', '4', '5', '6'],
    );
  });

  test('empty values never clear a stored attribute', async () => {
    await deliver(server, 'client=demo&sessionId=s1', {
      context: CONTEXT,
      id: { tntId: 'keeper' },
      execute: { pageLoad: { profileParameters: { color: 'red' } } },
    });
    await deliver(server, 'client=demo&sessionId=s1', {
      context: CONTEXT,
      id: { tntId: 'keeper' },
      execute: { pageLoad: { profileParameters: { color: '' } } },
    });
    assert.equal((await attributesOf(server, 'keeper'))?.color, 'red');
  });

  test('the whole request model is tolerated: unknown and unmodelled fields are ignored', async () => {
    const { status, body } = await deliver(server, 'client=demo&sessionId=s1&version=2.11.0', {
      requestId: 'full',
      impressionId: 'imp',
      environmentId: 42,
      property: { token: 'prop' },
      trace: { authorizationToken: 'x', usage: {} },
      context: {
        channel: 'web',
        userAgent: 'UA',
        address: { url: 'https://shop.example/', referringUrl: '' },
        screen: { width: 1, height: 2 },
        window: { width: 1 },
        browser: { host: 'shop.example' },
        geo: { ipAddress: '10.0.0.1' },
        timeOffsetInMinutes: 60,
        somethingNew: { nested: true },
      },
      experienceCloud: { analytics: { logging: 'server_side', supplementalDataId: 'sd' }, audienceManager: { locationHint: 9 } },
      execute: {
        mboxes: [{ name: 'hero', index: 0, parameters: { a: 'b' }, order: { id: 'o', total: 1 }, product: { id: 'p' }, address: {} }],
      },
      telemetry: { entries: [{ requestId: 'r', timestamp: 1, execution: 1 }] },
      qaMode: { token: 'q' },
      preview: {},
      futureField: [1, 2, 3],
    });
    assert.equal(status, 200);
    assert.equal(body.requestId, 'full');
  });

  test('JSON sent as text/plain (at.js) is accepted', async () => {
    const { status, body } = await deliver(
      server,
      'client=demo&sessionId=s1',
      JSON.stringify({ context: CONTEXT, id: { tntId: 'plain-text' }, execute: { pageLoad: { profileParameters: { via: 'atjs' } } } }),
      { 'content-type': 'text/plain;charset=UTF-8' },
    );
    assert.equal(status, 200);
    assert.equal(body.id.tntId, 'plain-text');
    assert.equal((await attributesOf(server, 'plain-text'))?.via, 'atjs');
  });

  test('context.beacon answers 204 with no body, and the visit still counts', async () => {
    const response = await server.fetch('/rest/v1/delivery?client=demo&sessionId=s1', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({
        context: { channel: 'web', beacon: true },
        id: { tntId: 'beaconed' },
        notifications: [{ id: 'n', profileParameters: { left: 'page' } }],
      }),
    });
    assert.equal(response.status, 204);
    assert.equal(await response.text(), '');
    assert.equal((await attributesOf(server, 'beaconed'))?.left, 'page');
  });
});

describe('client resolution', () => {
  test('with exactly one client, neither client nor imsOrgId is needed', async () => {
    const { status, body } = await deliver(server, 'sessionId=s1', { context: CONTEXT });
    assert.equal(status, 200);
    assert.equal(body.client, 'demo');
  });

  test('imsOrgId picks its client; client= wins over it; unknown names are 404s', async () => {
    assert.equal((await admin(server, 'PUT', '/admin/v1/clients/acme', { imsOrgId: 'ACME01@AdobeOrg' })).status, 201);
    try {
      assert.equal((await deliver(server, 'imsOrgId=ACME01@AdobeOrg&sessionId=s1', { context: CONTEXT })).body.client, 'acme');
      assert.equal((await deliver(server, 'client=demo&imsOrgId=ACME01@AdobeOrg&sessionId=s1', { context: CONTEXT })).body.client, 'demo');
      assert.deepEqual((await deliver(server, 'client=nope&sessionId=s1', { context: CONTEXT })).body, {
        status: 404,
        message: "Unknown client 'nope'",
      });
      const missing = await deliver(server, 'sessionId=s1', { context: CONTEXT });
      assert.deepEqual(missing.body, {
        status: 400,
        message: 'The client or imsOrgId query parameter is required: this server has 2 clients',
      });
      // Profiles never cross clients.
      await deliver(server, 'client=acme&sessionId=s1', {
        context: CONTEXT,
        id: { tntId: 'acme-only' },
        execute: { pageLoad: { profileParameters: { a: '1' } } },
      });
      assert.equal(await attributesOf(server, 'acme-only'), null);
    } finally {
      // Leave the server with one client for the other tests of this file.
      await admin(server, 'PUT', '/admin/v1/clients/acme', { imsOrgId: null });
    }
  });
});

describe('validation: the whole request is refused with {status, message}, nothing written', () => {
  const cases: Array<[what: string, query: string, body: unknown, message: string | RegExp]> = [
    ['no sessionId', 'client=demo', { context: CONTEXT }, 'The sessionId query parameter is required'],
    ['a sessionId with a space', 'client=demo&sessionId=a%20b', { context: CONTEXT }, /^sessionId must be 1 to 128 printable/],
    ['a sessionId with ?', 'client=demo&sessionId=a%3Fb', { context: CONTEXT }, /^sessionId must be/],
    ['a sessionId with {', 'client=demo&sessionId=a%7Bb', { context: CONTEXT }, /^sessionId must be/],
    ['a sessionId with }', 'client=demo&sessionId=a%7Db', { context: CONTEXT }, /^sessionId must be/],
    ['a sessionId with /', 'client=demo&sessionId=a%2Fb', { context: CONTEXT }, /^sessionId must be/],
    ['a sessionId of 129 characters', `client=demo&sessionId=${'s'.repeat(129)}`, { context: CONTEXT }, /^sessionId must be/],
    [
      'two sessionIds',
      'client=demo&sessionId=a&sessionId=b',
      { context: CONTEXT },
      'The sessionId query parameter is given more than once',
    ],
    ['a body that is not an object', 'client=demo&sessionId=s', [1, 2], 'Request body must be a JSON object with a context'],
    ['no context', 'client=demo&sessionId=s', { execute: {} }, 'context is required and must be an object'],
    [
      '51 execute mboxes',
      'client=demo&sessionId=s',
      { context: CONTEXT, execute: { mboxes: mboxes(51) } },
      'execute.mboxes: size must be between 0 and 50',
    ],
    [
      '51 prefetch mboxes',
      'client=demo&sessionId=s',
      { context: CONTEXT, prefetch: { mboxes: mboxes(51) } },
      'prefetch.mboxes: size must be between 0 and 50',
    ],
    [
      '51 profile parameters on an mbox',
      'client=demo&sessionId=s',
      { context: CONTEXT, execute: { mboxes: [{ name: 'm', index: 0, profileParameters: params(51) }] } },
      'execute.mboxes[0].profileParameters: size must be between 0 and 50',
    ],
    [
      '51 profile parameters on the pageLoad',
      'client=demo&sessionId=s',
      { context: CONTEXT, prefetch: { pageLoad: { profileParameters: params(51) } } },
      'prefetch.pageLoad.profileParameters: size must be between 0 and 50',
    ],
    [
      'a name of 129 characters',
      'client=demo&sessionId=s',
      { context: CONTEXT, execute: { pageLoad: { profileParameters: { ['n'.repeat(129)]: 'v' } } } },
      /^execute\.pageLoad\.profileParameters: attribute name '.*' is longer than the 128-character limit$/,
    ],
    [
      'a blank name',
      'client=demo&sessionId=s',
      { context: CONTEXT, execute: { pageLoad: { profileParameters: { '  ': 'v' } } } },
      'execute.pageLoad.profileParameters: attribute name is blank',
    ],
    [
      'an empty name',
      'client=demo&sessionId=s',
      { context: CONTEXT, execute: { pageLoad: { profileParameters: { '': 'v' } } } },
      'execute.pageLoad.profileParameters: attribute name is empty',
    ],
    [
      'a system attribute name',
      'client=demo&sessionId=s',
      { context: CONTEXT, execute: { pageLoad: { profileParameters: { sessionCount: '99' } } } },
      "execute.pageLoad.profileParameters: attribute name 'sessionCount' is reserved for the server",
    ],
    [
      'a profile-script name',
      'client=demo&sessionId=s',
      { context: CONTEXT, execute: { pageLoad: { profileParameters: { 'user.x': '1' } } } },
      /reserved for profile scripts$/,
    ],
    [
      'a value of 257 characters',
      'client=demo&sessionId=s',
      { context: CONTEXT, notifications: [{ id: 'n', profileParameters: { long: 'v'.repeat(257) } }] },
      "notifications[0].profileParameters: value of attribute 'long' is longer than the 256-character limit",
    ],
    [
      'a null value',
      'client=demo&sessionId=s',
      { context: CONTEXT, execute: { pageLoad: { profileParameters: { a: null } } } },
      "execute.pageLoad.profileParameters: value of attribute 'a' must not be null",
    ],
    [
      'an object value',
      'client=demo&sessionId=s',
      { context: CONTEXT, execute: { pageLoad: { profileParameters: { a: { b: 1 } } } } },
      "execute.pageLoad.profileParameters: value of attribute 'a' must be a string, number or boolean",
    ],
    [
      'an mbox without a name',
      'client=demo&sessionId=s',
      { context: CONTEXT, execute: { mboxes: [{ index: 0 }] } },
      'execute.mboxes[0].name is required',
    ],
    [
      'a negative mbox index',
      'client=demo&sessionId=s',
      { context: CONTEXT, prefetch: { mboxes: [{ name: 'm', index: -1 }] } },
      'prefetch.mboxes[0].index must be a whole number of 0 or more',
    ],
    [
      'a notification without id',
      'client=demo&sessionId=s',
      { context: CONTEXT, notifications: [{ type: 'display' }] },
      'notifications[0].id is required',
    ],
    [
      'a blocklisted tntId',
      'client=demo&sessionId=s',
      { context: CONTEXT, id: { tntId: 'undefined' } },
      "id.tntId 'undefined' is not a usable visitor id",
    ],
    [
      'a tntId of 129 characters',
      'client=demo&sessionId=s',
      { context: CONTEXT, id: { tntId: 't'.repeat(129) } },
      'id.tntId is longer than 128 characters',
    ],
    [
      'a tntId with a stray dot',
      'client=demo&sessionId=s',
      { context: CONTEXT, id: { tntId: 'a.b' } },
      /^id\.tntId may contain a '\.' only before a location hint/,
    ],
    [
      'a thirdPartyId of 129 characters',
      'client=demo&sessionId=s',
      { context: CONTEXT, id: { thirdPartyId: 'x'.repeat(129) } },
      'id.thirdPartyId is longer than 128 characters',
    ],
    [
      'a thirdPartyId with /',
      'client=demo&sessionId=s',
      { context: CONTEXT, id: { thirdPartyId: 'a/b' } },
      "id.thirdPartyId must not contain '/'",
    ],
    [
      'a numeric thirdPartyId',
      'client=demo&sessionId=s',
      { context: CONTEXT, id: { thirdPartyId: 42 } },
      'id.thirdPartyId must be a string',
    ],
    [
      'a customer id without integrationCode',
      'client=demo&sessionId=s',
      { context: CONTEXT, id: { customerIds: [{ id: 'c', authenticatedState: 'authenticated' }] } },
      'id.customerIds[0].integrationCode is required',
    ],
    [
      'a requestId of 129 characters',
      'client=demo&sessionId=s',
      { context: CONTEXT, requestId: 'r'.repeat(129) },
      'requestId is longer than 128 characters',
    ],
    ['execute as an array', 'client=demo&sessionId=s', { context: CONTEXT, execute: [] }, 'execute must be an object'],
  ];

  for (const [what, query, body, message] of cases) {
    test(`${what} → 400, the same answer on every retry`, async () => {
      const first = await deliver(server, query, body);
      const retry = await deliver(server, query, body);
      assert.equal(first.status, 400);
      assert.deepEqual(Object.keys(first.body).sort(), ['message', 'status']);
      assert.equal(first.body.status, 400);
      if (typeof message === 'string') assert.equal(first.body.message, message);
      else assert.match(first.body.message, message);
      assert.deepEqual(retry, { ...first, headers: retry.headers });
    });
  }

  test('the limits themselves are accepted: 50 mboxes, 50 parameters, 128-char names, 256-char values, 128-char ids', async () => {
    const tntId = 't'.repeat(128);
    const { status } = await deliver(server, `client=demo&sessionId=${'s'.repeat(128)}`, {
      context: CONTEXT,
      id: { tntId, thirdPartyId: 'x'.repeat(128) },
      execute: { mboxes: mboxes(50), pageLoad: { profileParameters: { ['n'.repeat(128)]: 'v'.repeat(256), ...params(49) } } },
      prefetch: { mboxes: mboxes(50) },
    });
    assert.equal(status, 200);
    const attributes = await attributesOf(server, tntId);
    assert.equal(attributes?.['n'.repeat(128)], 'v'.repeat(256));
  });

  test('one bad parameter anywhere rejects the request: nothing of it is written', async () => {
    const { status } = await deliver(server, 'client=demo&sessionId=s', {
      context: CONTEXT,
      id: { tntId: 'all-or-nothing', thirdPartyId: 'all-or-nothing-person' },
      execute: { mboxes: [{ name: 'ok', index: 0, profileParameters: { good: 'yes' } }] },
      notifications: [{ id: 'n', profileParameters: { bad: 'v'.repeat(257) } }],
    });
    assert.equal(status, 400);
    assert.equal(await attributesOf(server, 'all-or-nothing'), null);
    assert.equal(await attributesOf(server, 'thirdPartyId/all-or-nothing-person'), null);
  });

  test('a profile pushed past 64 KB is refused whole', async () => {
    const big = (prefix: string) => Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${prefix}${i}`, 'v'.repeat(256)]));
    const call = (prefix: string) =>
      deliver(server, 'client=demo&sessionId=s', {
        context: CONTEXT,
        id: { tntId: 'heavy' },
        execute: { pageLoad: { profileParameters: big(prefix) } },
      });
    // Each call adds ~12.9 KB: five fit in 64 KB, the sixth does not.
    for (const prefix of ['a', 'b', 'c', 'd', 'e']) assert.equal((await call(prefix)).status, 200);
    const over = await call('f');
    assert.equal(over.status, 400);
    assert.match(over.body.message, /over the 65536-byte \(64 KB\) limit; nothing was written/);
    const kept = await attributesOf(server, 'heavy');
    assert.equal(kept?.e0, 'v'.repeat(256));
    assert.equal(kept?.f0, undefined);
  });

  test('a refused visit among concurrent ones leaves no trace and does not disturb the others', async () => {
    const big = (prefix: string) => Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${prefix}${i}`, 'v'.repeat(256)]));
    const call = (tntId: string, profileParameters: Record<string, string>) =>
      deliver(server, 'client=demo&sessionId=s', { context: CONTEXT, id: { tntId }, execute: { pageLoad: { profileParameters } } });
    for (const prefix of ['a', 'b', 'c', 'd', 'e']) assert.equal((await call('crowded', big(prefix))).status, 200);
    const before = await attributesOf(server, 'crowded');

    const answers = await Promise.all([
      call('neighbour-1', { ok: '1' }),
      call('crowded', big('f')),
      call('neighbour-2', { ok: '2' }),
      call('crowded', { small: 'fits' }),
    ]);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 400, 200, 200],
    );
    assert.equal((await attributesOf(server, 'neighbour-1'))?.ok, '1');
    assert.equal((await attributesOf(server, 'neighbour-2'))?.ok, '2');
    const after = await attributesOf(server, 'crowded');
    assert.equal(after?.f0, undefined);
    assert.equal(after?.small, 'fits');
    assert.equal(after?.a0, before?.a0);
  });

  test('bodies that are not JSON or empty are 400s', async () => {
    const broken = await deliver(server, 'client=demo&sessionId=s', '{"context":', { 'content-type': 'application/json' });
    assert.deepEqual(broken.body, { status: 400, message: 'Request body is not valid JSON' });
    const empty = await deliver(server, 'client=demo&sessionId=s', '', { 'content-type': 'text/plain' });
    assert.deepEqual(empty.body, { status: 400, message: 'Request body is empty; a JSON object with a context is required' });
  });

  test("a body over the 1 MB limit → 413 in Delivery's shape, never parsed (invalid JSON is not what it answers); 1 MB of valid JSON is read", async () => {
    const over = Buffer.alloc(1024 * 1024 + 1, 0x5b); // '[' × (1 MB + 1): not JSON
    const response = await server.fetch('/rest/v1/delivery?client=demo&sessionId=s', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: over,
    });
    assert.equal(response.status, 413);
    assert.deepEqual(await response.json(), { status: 413, message: 'Request body is larger than the 1 MB limit of this endpoint' });
    const head = '{"context":{"channel":"web"},"padding":"';
    const atLimit = `${head}${'x'.repeat(1024 * 1024 - head.length - 2)}"}`;
    assert.equal(Buffer.byteLength(atLimit), 1024 * 1024);
    assert.equal((await deliver(server, 'client=demo&sessionId=s', atLimit)).status, 200);
  });

  test('an unknown client is answered 404 before its body is read: a broken or oversized body does not change the answer', async () => {
    for (const body of ['{"context":', '['.repeat(2 * 1024 * 1024)]) {
      const answer = await deliver(server, 'client=nosuch&sessionId=s', body);
      assert.equal(answer.status, 404, JSON.stringify(answer.body).slice(0, 200));
      assert.match(answer.body.message, /nosuch/);
    }
  });
});

describe('CORS for pages on other origins', () => {
  test('a preflight is answered 204 with the methods and the headers asked for', async () => {
    const response = await server.fetch('/rest/v1/delivery?imsOrgId=X@AdobeOrg&sessionId=s', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-exc-sdk,x-exc-sdk-version,x-request-id',
      },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), 'https://shop.example');
    assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
    assert.match(response.headers.get('access-control-allow-methods') ?? '', /\bPOST\b/);
    assert.equal(response.headers.get('access-control-allow-headers'), 'content-type,x-exc-sdk,x-exc-sdk-version,x-request-id');
    assert.match(response.headers.get('vary') ?? '', /Origin/);
    assert.equal(await response.text(), '');
  });

  test('answers echo the Origin with credentials allowed, errors included', async () => {
    const origin = 'http://localhost:3000';
    const ok = await deliver(server, 'client=demo&sessionId=s', JSON.stringify({ context: CONTEXT }), {
      'content-type': 'text/plain',
      origin,
    });
    const bad = await deliver(server, 'client=demo', JSON.stringify({ context: CONTEXT }), { 'content-type': 'text/plain', origin });
    for (const { headers } of [ok, bad]) {
      assert.equal(headers.get('access-control-allow-origin'), origin);
      assert.equal(headers.get('access-control-allow-credentials'), 'true');
      assert.equal(headers.get('vary'), 'Origin');
    }
    assert.equal(bad.status, 400);
  });

  test('without an Origin no CORS grant is made, but caches are told the answer varies by Origin', async () => {
    const { headers } = await deliver(server, 'client=demo&sessionId=s', { context: CONTEXT });
    assert.equal(headers.get('access-control-allow-origin'), null);
    assert.equal(headers.get('vary'), 'Origin');
  });
});
