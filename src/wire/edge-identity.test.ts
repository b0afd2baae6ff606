import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { cookieValue, decodeIdentityCookie, edgeCookieName, encodeIdentityCookie, mintEcid } from './edge-identity.js';

test('a minted ECID is 38 digits whose halves are each below 2^63', () => {
  for (let i = 0; i < 200; i++) {
    const ecid = mintEcid();
    assert.match(ecid, /^\d{38}$/);
    assert.ok(BigInt(ecid.slice(0, 19)) < 1n << 63n && BigInt(ecid.slice(19)) < 1n << 63n);
  }
  assert.notEqual(mintEcid(), mintEcid());
});

test('the identity cookie holds the ECID as protobuf field 1, the way the Web SDK reads it (CiY…)', () => {
  const ecid = '24033847036501555586082100580230484987';
  const value = encodeIdentityCookie(ecid);
  assert.ok(value.startsWith('CiY'), value);
  assert.equal(decodeIdentityCookie(value), ecid);
  // A cookie written by Adobe's Edge Network (captured): field 1, then metadata fields 10 and 30.
  assert.equal(
    decodeIdentityCookie('CiYyNDAzMzg0NzAzNjUwMTU1NTU4NjA4MjEwMDU4MDIzMDQ4NDk4N1ILCP_Q_pijNBABGAHwAf_Q_pijNA'),
    '24033847036501555586082100580230484987',
  );
  fc.assert(fc.property(fc.stringMatching(/^\d{38}$/), (id) => decodeIdentityCookie(encodeIdentityCookie(id)) === id));
});

test('values that are not an identity message read as no identity, never as an error', () => {
  for (const bad of [
    '',
    'not base64!',
    'AAAA',
    'Cg',
    'CiY',
    'x'.repeat(5000),
    Buffer.from([0x0a, 0x02, 0x00, 0x01]).toString('base64url'),
  ]) {
    assert.equal(decodeIdentityCookie(bad), undefined, bad.slice(0, 20));
  }
  fc.assert(fc.property(fc.string(), (text) => ['string', 'undefined'].includes(typeof decodeIdentityCookie(text))));
});

test('cookie names follow the org, and a Cookie header is read by name', () => {
  assert.equal(edgeCookieName('ABC123@AdobeOrg', 'identity'), 'kndctr_ABC123_AdobeOrg_identity');
  assert.equal(cookieValue('a=1; kndctr_X_AdobeOrg_identity=CiYx; b=2', 'kndctr_X_AdobeOrg_identity'), 'CiYx');
  assert.equal(cookieValue('a=1', 'b'), undefined);
  assert.equal(cookieValue(undefined, 'b'), undefined);
});
