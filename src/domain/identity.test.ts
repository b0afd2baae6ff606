import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BadRequestError } from '../errors.js';
import { mintTntId, parseThirdPartyId, parseTntId } from './identity.js';

test('location hints are stripped from tntIds for the profile key', () => {
  assert.equal(parseTntId('10abf6304b2714215b1fd39a870f01afc.28_20'), '10abf6304b2714215b1fd39a870f01afc');
  assert.equal(parseTntId('1368007744041-575948.01_00'), '1368007744041-575948');
  assert.equal(parseTntId('plain'), 'plain');
  assert.throws(() => parseTntId('a.b'), BadRequestError);
  assert.throws(() => parseTntId('a.1_2.3_4'), BadRequestError);
  assert.throws(() => parseTntId('.28_20'), /is not a usable visitor id/);
});

test('the blocklist rejects ids that would merge unrelated visitors', () => {
  for (const id of ['', ' ', 'null', 'NULL', 'undefined', '0', '[object Object]', 'anonymous', 'Anonymous']) {
    assert.throws(() => parseTntId(id), /is not a usable visitor id/, JSON.stringify(id));
    assert.throws(() => parseThirdPartyId(id), /is not a usable visitor id/, JSON.stringify(id));
  }
  assert.throws(() => parseThirdPartyId('a\nb'), /control characters/);
  assert.throws(() => parseThirdPartyId('a\uD800'), /invalid UTF-16/);
});

test("a CRM's e-mail-like thirdPartyId keeps its '+'; a '/' is refused as by Target", () => {
  assert.equal(parseThirdPartyId('ada+news@example.com'), 'ada+news@example.com');
  assert.equal(parseThirdPartyId('50% off'), '50% off');
  assert.throws(() => parseThirdPartyId('a/b'), /^BadRequestError: thirdPartyId must not contain '\/'$/);
});

test('length limits sit exactly at the boundary', () => {
  assert.equal(parseTntId('a'.repeat(128)).length, 128);
  assert.throws(() => parseTntId('a'.repeat(129)), /longer than 128/);
  assert.equal(parseThirdPartyId('a'.repeat(256)).length, 256);
  assert.throws(() => parseThirdPartyId('a'.repeat(257)), /longer than 256/);
});

test('minted tntIds are 32 lowercase hex characters with no location hint', () => {
  const ids = new Set(Array.from({ length: 100 }, mintTntId));
  assert.equal(ids.size, 100);
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
});
