import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readDataLine } from '../../wire/batch-reader.js';
import { failedRowNamesPerson, keyNamesPerson, ROW_NOT_UTF8_REASON } from './row-keys.js';

const person = { tntIds: ['ada'], thirdPartyIds: ['crm-1'] };

test('in a pcId batch a key names the tntId before a location hint; anything else after a dot is nobody', () => {
  for (const key of ['ada', 'ada.28_20', 'ada.0_0']) assert.equal(keyNamesPerson('pcId', key, person), true, key);
  for (const key of ['ada.x', 'ada.28_20.1', 'ada.28', 'ada.', 'adam', 'crm-1', '', 'null']) {
    assert.equal(keyNamesPerson('pcId', key, person), false, key);
  }
  const long = 'a'.repeat(128);
  assert.equal(
    keyNamesPerson('pcId', `${long}.28_20`, { tntIds: [long], thirdPartyIds: [] }),
    true,
    'longer than an id may be, still the person',
  );
});

test('in a thirdPartyId batch a key names exactly that thirdPartyId: no location hint, not a tntId', () => {
  assert.equal(keyNamesPerson('thirdPartyId', 'crm-1', person), true);
  for (const key of ['crm-1.28_20', 'crm-1.something', 'ada', 'crm-'])
    assert.equal(keyNamesPerson('thirdPartyId', key, person), false, key);
});

test("a failed row's key kept as sent (a row that is not UTF-8) is compared decoded; every other key is decoded already", () => {
  const notUtf8 = readDataLine(Buffer.concat([Buffer.from('crm%2D1,'), Buffer.from([0xff])]), 1);
  assert.deepEqual(notUtf8, { kind: 'malformed', key: 'crm%2D1', reason: ROW_NOT_UTF8_REASON }, 'what the reader reports');
  assert.equal(failedRowNamesPerson('thirdPartyId', notUtf8 as { key: string; reason: string }, person), true);
  assert.equal(failedRowNamesPerson('pcId', { key: 'ada%2E28_20', reason: ROW_NOT_UTF8_REASON }, person), true);
  // Decoded already: `crm%2D1` is then the thirdPartyId sent as crm%252D1, another person.
  assert.equal(
    failedRowNamesPerson('thirdPartyId', { key: 'crm%2D1', reason: 'column 2 has an undecodable percent-encoding' }, person),
    false,
  );
  assert.equal(failedRowNamesPerson('thirdPartyId', { key: 'crm%FF', reason: ROW_NOT_UTF8_REASON }, person), false, 'undecodable');
});
