import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';
import { m2Error, UPDATE_OK } from './support/m2.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
  await admin(server, 'POST', '/admin/v1/clients/demo/profiles', {
    tntId: 'visitor-1',
    thirdPartyId: 'crm-1',
    attributes: { tier: 'silver' },
  });
});
after(() => server.dispose());

const auth = () => bearer(server.demoToken);

async function update(query: string, init: RequestInit = {}) {
  const response = await server.fetch(`/m2/demo/profile/update?${query}`, { ...init, headers: { ...auth(), ...(init.headers ?? {}) } });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

async function attributesOf(path: string): Promise<Record<string, string>> {
  const response = await server.fetch(`${path}${path.includes('?') ? '&' : '?'}client=demo`, { headers: auth() });
  assert.equal(response.status, 200, `fetch ${path}`);
  const document = (await response.json()) as { profileAttributes: Record<string, { value: string }> };
  return Object.fromEntries(Object.entries(document.profileAttributes).map(([k, v]) => [k, v.value]));
}

describe('a call-centre agent updates a known visitor', () => {
  test('GET by mboxPC applies before the reply, so a fetch right after sees it', async () => {
    const result = await update('mboxPC=visitor-1&profile.callReason=billing&profile.tier=gold');
    assert.deepEqual(result, { status: 200, type: 'application/xml', body: UPDATE_OK });
    const attributes = await attributesOf('/rest/v1/profiles/visitor-1');
    assert.equal(attributes.callReason, 'billing');
    assert.equal(attributes.tier, 'gold');
  });

  test('a location hint on mboxPC reaches the same profile', async () => {
    const result = await update('mboxPC=visitor-1.28_20&profile.kiosk=k7');
    assert.equal(result.body, UPDATE_OK);
    assert.equal((await attributesOf('/rest/v1/profiles/visitor-1')).kiosk, 'k7');
    assert.equal((await attributesOf('/rest/v1/profiles/visitor-1.35_0')).kiosk, 'k7');
  });

  test('POST with a form body, by mbox3rdPartyId, URL-decoding UTF-8 names and values', async () => {
    const response = await server.fetch('/m2/demo/profile/update', {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'mbox3rdPartyId=crm-1&profile.city=K%C3%B6ln&profile.note=50%25+off+%26+more&profile.Case=Upper',
    });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), UPDATE_OK);
    const attributes = await attributesOf('/rest/v1/profiles/thirdPartyId/crm-1');
    assert.equal(attributes.city, 'Köln');
    assert.equal(attributes.note, '50% off & more');
    assert.equal(attributes.Case, 'Upper');
    assert.equal(attributes.case, undefined, 'names are case-sensitive');
  });

  test('POST may carry the parameters in the query string', async () => {
    const response = await server.fetch('/m2/demo/profile/update?mboxPC=visitor-1&profile.channel=pos', {
      method: 'POST',
      headers: auth(),
    });
    assert.equal(await response.text(), UPDATE_OK);
    assert.equal((await attributesOf('/rest/v1/profiles/visitor-1')).channel, 'pos');
  });

  test('an empty value never clears an attribute', async () => {
    await update('mboxPC=visitor-1&profile.keep=yes');
    const result = await update('mboxPC=visitor-1&profile.keep=&profile.other=1');
    assert.equal(result.body, UPDATE_OK);
    assert.equal((await attributesOf('/rest/v1/profiles/visitor-1')).keep, 'yes');
  });

  test('values holding < & ]]> come back intact through the fetch API', async () => {
    await update(`mboxPC=visitor-1&profile.markup=${encodeURIComponent('<b>&]]>')}`);
    assert.equal((await attributesOf('/rest/v1/profiles/visitor-1')).markup, '<b>&]]>');
  });
});

describe('the single update API refuses bad input, changing nothing', () => {
  const cases: Array<[string, string, number, string]> = [
    ['unknown mboxPC', 'mboxPC=nobody&profile.a=1', 404, 'No profile found for client demo with mboxPC=nobody'],
    ['unknown third-party id', 'mbox3rdPartyId=nobody&profile.a=1', 404, 'No profile found for client demo with third party id=nobody'],
    ['no key', 'profile.a=1', 400, 'mboxPC or mbox3rdPartyId is required'],
    ['both keys', 'mboxPC=visitor-1&mbox3rdPartyId=crm-1&profile.a=1', 400, 'Send either mboxPC or mbox3rdPartyId, not both'],
    ['no attributes', 'mboxPC=visitor-1', 400, 'At least one profile.&lt;name&gt;=&lt;value&gt; parameter is required'],
    ['blocked id null', 'mboxPC=null&profile.a=1', 400, 'mboxPC &apos;null&apos; is not a usable visitor id'],
    [
      'blocked id anonymous',
      'mbox3rdPartyId=anonymous&profile.a=1',
      400,
      'mbox3rdPartyId &apos;anonymous&apos; is not a usable visitor id',
    ],
    [
      'blocked id [object Object]',
      'mboxPC=%5Bobject%20Object%5D&profile.a=1',
      400,
      'mboxPC &apos;[object Object]&apos; is not a usable visitor id',
    ],
    ['blocked id 0', 'mboxPC=0&profile.a=1', 400, 'mboxPC &apos;0&apos; is not a usable visitor id'],
    ['whitespace id', 'mboxPC=%20%20&profile.a=1', 400, 'mboxPC &apos;  &apos; is not a usable visitor id'],
    ['129-char tntId', `mboxPC=${'a'.repeat(129)}&profile.a=1`, 400, 'mboxPC is longer than 128 characters'],
    ['257-char thirdPartyId', `mbox3rdPartyId=${'a'.repeat(257)}&profile.a=1`, 400, 'mbox3rdPartyId is longer than 256 characters'],
    ['thirdPartyId with /', 'mbox3rdPartyId=a%2Fb&profile.a=1', 400, 'mbox3rdPartyId must not contain &apos;/&apos;'],
    [
      'malformed hint',
      'mboxPC=visitor-1.x&profile.a=1',
      400,
      'mboxPC may contain a &apos;.&apos; only before a location hint of the form .&lt;cluster&gt;_&lt;node&gt;',
    ],
    [
      '129-char name',
      `mboxPC=visitor-1&profile.${'n'.repeat(129)}=1`,
      400,
      `attribute name &apos;${'n'.repeat(32)}…&apos; is longer than the 128-character limit`,
    ],
    [
      '5001-char value',
      `mboxPC=visitor-1&profile.big=${'v'.repeat(5001)}`,
      400,
      'value of attribute &apos;big&apos; is longer than the 5000-character limit',
    ],
    ['empty name', 'mboxPC=visitor-1&profile.=1', 400, 'attribute name is empty'],
    [
      'reserved system name',
      'mboxPC=visitor-1&profile.sessionCount=9',
      400,
      'attribute name &apos;sessionCount&apos; is reserved for the server',
    ],
    [
      'script namespace',
      'mboxPC=visitor-1&profile.user.x=9',
      400,
      'attribute name &apos;user.x&apos; is in the &apos;user.&apos; namespace reserved for profile scripts',
    ],
    [
      'value not UTF-8 once decoded',
      'mboxPC=visitor-1&profile.a=K%F6ln',
      400,
      'Malformed request parameters: the value of &apos;profile.a&apos; is not valid UTF-8 once percent-decoded',
    ],
  ];
  for (const [name, query, status, message] of cases) {
    test(`${name} → ${status}`, async () => {
      const before = await attributesOf('/rest/v1/profiles/visitor-1');
      // Every other case also carries a valid attribute, to show that it is not applied either.
      const result = await update(name === 'no attributes' ? query : `${query}&profile.sideEffect=written`);
      assert.equal(result.status, status);
      assert.equal(result.type, 'application/xml');
      assert.equal(result.body, m2Error(message));
      assert.deepEqual(await attributesOf('/rest/v1/profiles/visitor-1'), before, 'nothing changed');
    });
  }

  test('a write that would take the profile past 64 KB is rejected whole', async () => {
    await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: 'heavy', attributes: {} });
    const value = 'x'.repeat(4990);
    // 12 attributes of ~5 KB fit (60 KB); the 14th pushes past 64 KB.
    for (let i = 0; i < 12; i++) assert.equal((await update(`mboxPC=heavy&profile.a${i}=${value}`)).status, 200);
    const before = await attributesOf('/rest/v1/profiles/heavy');
    const params = `profile.ok=small&profile.b1=${value}&profile.b2=${value}`;
    const response = await server.fetch('/m2/demo/profile/update', {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' },
      body: `mboxPC=heavy&${params}`,
    });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /over the 65536-byte \(64 KB\) limit; nothing was written/);
    assert.deepEqual(await attributesOf('/rest/v1/profiles/heavy'), before);
  });

  test('a GET query over 8 KB → 414, a POST body over 60 KB → 413', async () => {
    const longQuery = await update(`mboxPC=visitor-1&profile.a=${'q'.repeat(8200)}`);
    assert.equal(longQuery.status, 414);
    assert.equal(longQuery.body, m2Error('Query string is larger than the 8 KB limit'));

    const response = await server.fetch('/m2/demo/profile/update', {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' },
      body: `mboxPC=visitor-1&profile.a=${'b'.repeat(61 * 1024)}`,
    });
    assert.equal(response.status, 413);
    assert.equal(await response.text(), m2Error('Request body is larger than the 60 KB limit of this endpoint'));
  });

  test('an unknown client → 404 naming it', async () => {
    const response = await server.fetch('/m2/nosuchclient/profile/update?mboxPC=visitor-1&profile.a=1', { headers: auth() });
    assert.equal(response.status, 404);
    assert.equal(await response.text(), m2Error('Unknown client &apos;nosuchclient&apos;'));
  });

  test('an unknown key creates nothing', async () => {
    await update('mboxPC=ghost&profile.a=1');
    const response = await server.fetch('/rest/v1/profiles/ghost?client=demo', { headers: auth() });
    assert.equal(response.status, 404);
  });
});
