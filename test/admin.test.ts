import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/domain/clock.js';
import { DEFAULT_RESPONSE_TOKENS } from '../src/features/decisioning/response-tokens.js';
import { admin, startTestServer, type TestServer } from './support/server.js';

const clock = new ManualClock(Date.UTC(2026, 10, 24, 12));
let server: TestServer;
before(async () => {
  server = await startTestServer({ clock });
});
after(() => server.dispose());

async function json(response: Promise<Response>) {
  const r = await response;
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe('clients', () => {
  test('an operator creates a client, updates its settings, lists and reads it', async () => {
    const created = await json(admin(server, 'PUT', '/admin/v1/clients/shop-eu', { imsOrgId: 'ABC123@AdobeOrg' }));
    assert.equal(created.status, 201);
    assert.deepEqual(created.body, {
      client: 'shop-eu',
      requireAuth: true,
      profileLifetimeDays: 14,
      imsOrgId: 'ABC123@AdobeOrg',
      responseTokens: [...DEFAULT_RESPONSE_TOKENS],
      createdAt: '2026-11-24T12:00:00.000Z',
      updatedAt: '2026-11-24T12:00:00.000Z',
    });
    clock.advance(1000);
    const updated = await json(admin(server, 'PUT', '/admin/v1/clients/shop-eu', { profileLifetimeDays: 90, requireAuth: false }));
    assert.equal(updated.status, 200);
    assert.equal(updated.body.profileLifetimeDays, 90);
    assert.equal(updated.body.requireAuth, false);
    assert.equal(updated.body.imsOrgId, 'ABC123@AdobeOrg', 'settings not named are kept');
    assert.equal(updated.body.updatedAt, '2026-11-24T12:00:01.000Z');
    const list = await json(admin(server, 'GET', '/admin/v1/clients'));
    assert.deepEqual(
      (list.body.clients as Array<{ client: string }>).map((c) => c.client),
      ['demo', 'shop-eu'],
    );
  });

  test('invalid client codes and settings are refused with the field named', async () => {
    const cases: Array<[string, unknown, number, string]> = [
      ['/admin/v1/clients/bad%20code', {}, 400, "client code 'bad code' is invalid: use 1 to 64 letters, digits, '_' or '-'"],
      [
        `/admin/v1/clients/${'a'.repeat(65)}`,
        {},
        400,
        `client code '${'a'.repeat(65)}' is invalid: use 1 to 64 letters, digits, '_' or '-'`,
      ],
      ['/admin/v1/clients/x1', { profileLifetimeDays: 91 }, 400, 'profileLifetimeDays must be a whole number from 1 to 90'],
      ['/admin/v1/clients/x1', { profileLifetimeDays: 0 }, 400, 'profileLifetimeDays must be a whole number from 1 to 90'],
      ['/admin/v1/clients/x1', { requireAuth: 'yes' }, 400, 'requireAuth must be true or false'],
      ['/admin/v1/clients/x1', { imsOrgId: 'nope' }, 400, "imsOrgId must look like 'ABC123@AdobeOrg', or be null"],
      [
        '/admin/v1/clients/x1',
        { colour: 'red' },
        400,
        "unknown client setting 'colour' (known: requireAuth, profileLifetimeDays, imsOrgId, responseTokens)",
      ],
      ['/admin/v1/clients/x1', [1, 2], 400, 'client settings must be a JSON object'],
      ['/admin/v1/clients/x2', { imsOrgId: 'ABC123@AdobeOrg' }, 409, "imsOrgId ABC123@AdobeOrg already belongs to client 'shop-eu'"],
    ];
    for (const [path, body, status, message] of cases) {
      assert.deepEqual(await json(admin(server, 'PUT', path, body)), { status, body: { status, message } }, path);
    }
    assert.equal((await admin(server, 'GET', '/admin/v1/clients/x1')).status, 404, 'nothing was created');
    const badJson = await server.fetch('/admin/v1/clients/x1', {
      method: 'PUT',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      body: '{"requireAuth": tru',
    });
    assert.equal(badJson.status, 400);
    assert.deepEqual(await badJson.json(), { status: 400, message: 'Request body is not valid' });
  });
});

describe('profiles through the admin API', () => {
  test('create, update, read with every id, remove one attribute, delete with every id', async () => {
    const created = await json(
      admin(server, 'POST', '/admin/v1/clients/demo/profiles', {
        tntId: 'kiosk-visitor',
        thirdPartyId: 'loyalty-77',
        attributes: { tier: 'gold', city: 'Lyon' },
      }),
    );
    assert.equal(created.status, 201);
    assert.equal(created.body.visitorId, 'kiosk-visitor');
    assert.deepEqual(created.body.ids, { thirdPartyId: ['loyalty-77'], tntId: ['kiosk-visitor'] });

    const updated = await json(
      admin(server, 'POST', '/admin/v1/clients/demo/profiles', { thirdPartyId: 'loyalty-77', attributes: { tier: '', city: 'Paris' } }),
    );
    assert.equal(updated.status, 200);
    const attributes = updated.body.profileAttributes as Record<string, { value: string }>;
    assert.equal(attributes.tier!.value, 'gold', 'an empty value never removes anything');
    assert.equal(attributes.city!.value, 'Paris');

    const removed = await json(admin(server, 'DELETE', '/admin/v1/clients/demo/profiles/tntId/kiosk-visitor/attributes/city'));
    assert.equal(removed.status, 200);
    assert.deepEqual(Object.keys(removed.body.profileAttributes as object), ['tier']);
    const again = await json(admin(server, 'DELETE', '/admin/v1/clients/demo/profiles/tntId/kiosk-visitor/attributes/city'));
    assert.deepEqual(again, { status: 404, body: { status: 404, message: "Profile has no attribute 'city'" } });

    const read = await json(admin(server, 'GET', '/admin/v1/clients/demo/profiles/thirdPartyId/loyalty-77'));
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.ids, { thirdPartyId: ['loyalty-77'], tntId: ['kiosk-visitor'] });

    const deleted = await json(admin(server, 'DELETE', '/admin/v1/clients/demo/profiles/thirdPartyId/loyalty-77'));
    assert.deepEqual(deleted, {
      status: 200,
      body: { deleted: true, ids: { thirdPartyId: ['loyalty-77'], tntId: ['kiosk-visitor'] }, attributeCount: 1 },
    });
    for (const path of ['tntId/kiosk-visitor', 'thirdPartyId/loyalty-77']) {
      assert.equal((await admin(server, 'GET', `/admin/v1/clients/demo/profiles/${path}`)).status, 404, path);
    }
  });

  test('a profile created with no id gets a minted 32-hex tntId', async () => {
    const created = await json(admin(server, 'POST', '/admin/v1/clients/demo/profiles', { attributes: { a: '1' } }));
    assert.equal(created.status, 201);
    assert.match(created.body.visitorId as string, /^[0-9a-f]{32}$/);
  });

  test('bad profile bodies and ids belonging to two profiles are refused', async () => {
    await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: 'p-one', attributes: { a: '1' } });
    await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: 'p-two', attributes: { a: '2' } });
    const cases: Array<[unknown, number, string]> = [
      [{ tntId: 'p-one', thirdPartyId: 'x', attributes: { a: 1 } }, 400, "attribute 'a' must have a string value"],
      [{ tntId: 5 }, 400, 'tntId must be a string'],
      [{ tntId: 'p-one', extra: true }, 400, "unknown field 'extra' (known: tntId, thirdPartyId, marketingCloudVisitorId, attributes)"],
      [{ tntId: 'null', attributes: {} }, 400, "tntId 'null' is not a usable visitor id"],
      [{ tntId: 'p-one', attributes: { sessionCount: '3' } }, 400, "attribute name 'sessionCount' is reserved for the server"],
      ['text', 400, 'profile body must be a JSON object'],
    ];
    for (const [body, status, message] of cases) {
      assert.deepEqual(await json(admin(server, 'POST', '/admin/v1/clients/demo/profiles', body)), { status, body: { status, message } });
    }
    await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: 'p-two', thirdPartyId: 'p-two-crm', attributes: {} });
    const conflict = await json(
      admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: 'p-one', thirdPartyId: 'p-two-crm', attributes: { a: '3' } }),
    );
    assert.deepEqual(conflict, { status: 409, body: { status: 409, message: 'the ids given belong to two different profiles' } });
    const one = await json(admin(server, 'GET', '/admin/v1/clients/demo/profiles/tntId/p-one'));
    assert.equal((one.body.profileAttributes as Record<string, { value: string }>).a!.value, '1');
  });

  test('unknown id types and unknown clients are 404s', async () => {
    assert.equal((await admin(server, 'GET', '/admin/v1/clients/demo/profiles/email/x')).status, 404);
    assert.deepEqual(await json(admin(server, 'POST', '/admin/v1/clients/nope/profiles', { attributes: {} })), {
      status: 404,
      body: { status: 404, message: "Unknown client 'nope'" },
    });
  });
});
