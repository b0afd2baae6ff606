import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig } from './config.js';

test('PROFILE_EDGE_EVENT_TOKEN_KEYS: hex or base64 keys of 16 bytes or more, the first signing', () => {
  const hex = '00112233445566778899aabbccddeeff';
  const base64 = Buffer.alloc(32, 7).toString('base64');
  const config = parseConfig({ PROFILE_EDGE_EVENT_TOKEN_KEYS: `${hex}, ${base64}` });
  assert.deepEqual(config.eventTokenKeys, [Buffer.from(hex, 'hex'), Buffer.alloc(32, 7)]);
  assert.deepEqual(parseConfig({ PROFILE_EDGE_EVENT_TOKEN_KEYS: Buffer.alloc(20, 1).toString('base64url') }).eventTokenKeys, [
    Buffer.alloc(20, 1),
  ]);
  assert.equal(parseConfig({}).eventTokenKeys, undefined, 'unset: the key generated once per database');
});

test('PROFILE_EDGE_EVENT_TOKEN_KEYS: a malformed or short key stops the start, naming the variable and the key', () => {
  const cases: Array<[string, RegExp]> = [
    ['0011223344', /^PROFILE_EDGE_EVENT_TOKEN_KEYS: key 1 of 1 has 5 bytes: use at least 16/],
    [`${'ab'.repeat(16)},not a key!`, /^PROFILE_EDGE_EVENT_TOKEN_KEYS: key 2 of 2 is neither hex nor base64$/],
    [`${'ab'.repeat(16)},`, /^PROFILE_EDGE_EVENT_TOKEN_KEYS: key 2 of 2 is neither hex nor base64$/],
    ['c2hvcnQ=', /key 1 of 1 has 5 bytes/],
  ];
  for (const [value, message] of cases) {
    assert.throws(
      () => parseConfig({ PROFILE_EDGE_EVENT_TOKEN_KEYS: value }),
      (error: unknown) => error instanceof ConfigError && message.test(error.message),
      value,
    );
  }
});
