import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DAY_MS, ManualClock } from '../src/domain/clock.js';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';
import { m2Error } from './support/m2.js';

const clock = new ManualClock(Date.UTC(2026, 10, 24));
let server: TestServer;
let acmeToken: string;

before(async () => {
  server = await startTestServer({ clock });
  assert.equal((await admin(server, 'PUT', '/admin/v1/clients/acme', {})).status, 201);
  const issued = await admin(server, 'POST', '/admin/v1/clients/acme/authentication/token?authorizationScope=profile_api');
  acmeToken = ((await issued.json()) as { accessToken: string }).accessToken;
  await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: 'shared-id', attributes: { owner: 'demo' } });
  await admin(server, 'POST', '/admin/v1/clients/acme/profiles', { tntId: 'shared-id', attributes: { owner: 'acme' } });
});
after(() => server.dispose());

async function fetchAs(client: string, token: string | undefined) {
  const response = await server.fetch(`/rest/v1/profiles/shared-id?client=${client}`, {
    headers: token === undefined ? {} : { authorization: token },
  });
  return { status: response.status, body: (await response.json()) as { status?: number; message?: string; profileAttributes?: unknown } };
}

describe('profile API tokens', () => {
  test('each client reads its own profile with its own token; the same id in two clients is two people', async () => {
    const demo = await fetchAs('demo', `Bearer ${server.demoToken}`);
    const acme = await fetchAs('acme', `Bearer ${acmeToken}`);
    assert.deepEqual(demo.body.profileAttributes, { owner: { value: 'demo', modifiedAt: '2026-11-24T00:00:00.000+00:00' } });
    assert.deepEqual(acme.body.profileAttributes, { owner: { value: 'acme', modifiedAt: '2026-11-24T00:00:00.000+00:00' } });
  });

  test('missing → 401; malformed, wrong or another client’s token → 403', async () => {
    assert.deepEqual(await fetchAs('demo', undefined), {
      status: 401,
      body: { status: 401, message: 'Client demo requires authentication: send Authorization: Bearer <profile token>' },
    });
    assert.equal((await fetchAs('demo', 'Basic abc')).status, 401);
    assert.deepEqual(await fetchAs('demo', 'Bearer not-a-token'), {
      status: 403,
      body: { status: 403, message: 'The profile token is not valid' },
    });
    const tampered = server.demoToken.slice(0, -2) + (server.demoToken.endsWith('AA') ? 'BB' : 'AA');
    assert.deepEqual(await fetchAs('demo', `Bearer ${tampered}`), {
      status: 403,
      body: { status: 403, message: 'The profile token is not valid' },
    });
    assert.deepEqual(await fetchAs('demo', `Bearer ${acmeToken}`), {
      status: 403,
      body: { status: 403, message: 'The profile token is not valid for client demo' },
    });
    assert.deepEqual(await fetchAs('acme', `Bearer ${server.demoToken}`), {
      status: 403,
      body: { status: 403, message: 'The profile token is not valid for client acme' },
    });
    assert.equal((await fetchAs('demo', `Bearer ${server.adminKey}`)).status, 403, 'the admin key is not a profile token');
  });

  test('m2 endpoints answer auth failures in XML', async () => {
    const response = await server.fetch('/m2/acme/profile/update?mboxPC=shared-id&profile.a=1', { headers: bearer(server.demoToken) });
    assert.equal(response.status, 403);
    assert.equal(await response.text(), m2Error('The profile token is not valid for client acme'));
    const missing = await server.fetch('/m2/acme/profile/update?mboxPC=shared-id&profile.a=1');
    assert.equal(missing.status, 401);
  });

  test('the Adobe-shaped token endpoint: POST issues (201) and revokes the previous token; GET describes it without the secret', async () => {
    await admin(server, 'PUT', '/admin/v1/clients/rotating', {});
    const first = await admin(server, 'POST', '/admin/v1/clients/rotating/authentication/token?authorizationScope=profile_api');
    assert.equal(first.status, 201);
    assert.match(first.headers.get('content-type') ?? '', /^application\/vnd\.adobe\.target\.v1\+json/);
    const firstDoc = (await first.json()) as Record<string, unknown>;
    assert.equal(firstDoc.tokenType, 'Bearer');
    assert.equal(firstDoc.scope, 'profile_api');
    assert.equal(firstDoc.expiresIn, 90 * 86400);
    await admin(server, 'POST', '/admin/v1/clients/rotating/profiles', { tntId: 'r1', attributes: { a: '1' } });
    const ok = await server.fetch('/rest/v1/profiles/r1?client=rotating', { headers: bearer(firstDoc.accessToken as string) });
    assert.equal(ok.status, 200);

    const second = (await (
      await admin(server, 'POST', '/admin/v1/clients/rotating/authentication/token?authorizationScope=profile_api')
    ).json()) as Record<string, unknown>;
    const revoked = await server.fetch('/rest/v1/profiles/r1?client=rotating', { headers: bearer(firstDoc.accessToken as string) });
    assert.deepEqual(await revoked.json(), { status: 403, message: 'The profile token has been revoked' });
    assert.equal(
      (await server.fetch('/rest/v1/profiles/r1?client=rotating', { headers: bearer(second.accessToken as string) })).status,
      200,
    );

    const described = (await (
      await admin(server, 'GET', '/admin/v1/clients/rotating/authentication/token?authorizationScope=profile_api')
    ).json()) as Record<string, unknown>;
    assert.equal(described.accessToken, undefined, 'only a hash is stored, so the secret cannot be shown again');
    assert.equal(described.tokenId, second.tokenId);

    const badScope = await admin(server, 'POST', '/admin/v1/clients/rotating/authentication/token?authorizationScope=debug_tools');
    assert.deepEqual(await badScope.json(), { status: 400, message: "authorizationScope must be 'profile_api'" });
    const unknown = await admin(server, 'POST', '/admin/v1/clients/nope/authentication/token?authorizationScope=profile_api');
    assert.equal(unknown.status, 404);
  });

  test('tokens expire', async () => {
    await admin(server, 'PUT', '/admin/v1/clients/expiring', {});
    const doc = (await (
      await admin(server, 'POST', '/admin/v1/clients/expiring/authentication/token?authorizationScope=profile_api')
    ).json()) as { accessToken: string };
    await admin(server, 'POST', '/admin/v1/clients/expiring/profiles', { tntId: 'e1', attributes: { a: '1' } });
    // Profiles live 14 days, tokens 90: extend the profile so that only the token is at stake.
    await admin(server, 'PUT', '/admin/v1/clients/expiring', { profileLifetimeDays: 90 });
    clock.advance(89 * DAY_MS);
    await admin(server, 'POST', '/admin/v1/clients/expiring/profiles', { tntId: 'e1', attributes: { a: '2' } });
    clock.advance(2 * DAY_MS);
    const response = await server.fetch('/rest/v1/profiles/e1?client=expiring', { headers: bearer(doc.accessToken) });
    assert.deepEqual(await response.json(), { status: 403, message: 'The profile token has expired' });
    clock.set(Date.UTC(2026, 10, 24));
  });

  test('a client with requireAuth off needs no token', async () => {
    await admin(server, 'PUT', '/admin/v1/clients/open', { requireAuth: false });
    await admin(server, 'POST', '/admin/v1/clients/open/profiles', { tntId: 'o1', attributes: { a: '1' } });
    assert.equal((await server.fetch('/rest/v1/profiles/o1?client=open')).status, 200);
  });
});

describe('the admin key', () => {
  test('is required on every admin route: missing → 401, wrong → 403', async () => {
    const missing = await server.fetch('/admin/v1/clients');
    assert.deepEqual(await missing.json(), { status: 401, message: 'Admin calls need Authorization: Bearer <admin key>' });
    const wrong = await server.fetch('/admin/v1/clients', { headers: bearer('pea_0000000000000000.' + 'A'.repeat(43)) });
    assert.deepEqual(await wrong.json(), { status: 403, message: 'The admin key is not valid' });
    const profileToken = await server.fetch('/admin/v1/clients', { headers: bearer(server.demoToken) });
    assert.equal(profileToken.status, 403, 'a profile token is not an admin key');
    for (const [method, path] of [
      ['PUT', '/admin/v1/clients/evil'],
      ['POST', '/admin/v1/clients/demo/profiles'],
      ['DELETE', '/admin/v1/clients/demo/profiles/tntId/shared-id'],
      ['POST', '/admin/v1/clients/demo/authentication/token?authorizationScope=profile_api'],
    ]) {
      const response = await server.fetch(path!, {
        method,
        headers: { ...bearer(server.demoToken), 'content-type': 'application/json' },
        body: method === 'DELETE' ? undefined : '{}',
      });
      assert.equal(response.status, 403, `${method} ${path}`);
    }
    assert.equal((await fetchAs('demo', `Bearer ${server.demoToken}`)).status, 200, 'nothing was deleted');
  });

  test('an operator-provided PROFILE_EDGE_ADMIN_KEY replaces the generated one', async () => {
    const key = 'operator-chosen-admin-key-0123456789abcdef';
    const other = await startTestServer({ config: { adminKey: key } });
    try {
      assert.equal((await other.fetch('/admin/v1/clients', { headers: bearer(key) })).status, 200);
      assert.equal((await other.fetch('/admin/v1/clients', { headers: bearer(key + 'x') })).status, 403);
    } finally {
      await other.dispose();
    }
  });
});
