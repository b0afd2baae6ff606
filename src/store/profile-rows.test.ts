import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { AttributeMap } from '../domain/attributes.js';
import type { VisitorIdRef } from '../domain/identity.js';
import {
  decodeAttributes,
  decodeIdList,
  decodeSession,
  encodeAttributes,
  encodeIdList,
  encodeSession,
  mintProfileKey,
} from './profile-rows.js';

test('property: attributes encode → decode is the identity, for any name and value', () => {
  const attribute = fc.tuple(fc.string({ unit: 'grapheme' }), fc.nat()).map(([value, modifiedAt]) => ({ value, modifiedAt }));
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(fc.string({ unit: 'grapheme' }), attribute), { selector: ([name]) => name }), (entries) => {
      const map: AttributeMap = new Map(entries);
      assert.deepEqual([...decodeAttributes(encodeAttributes(map))], [...map]);
    }),
  );
});

test('attributes are stored as JSON triples, so __proto__ is an ordinary name', () => {
  const map: AttributeMap = new Map([
    ['__proto__', { value: 'x', modifiedAt: 1 }],
    ['constructor', { value: 'y', modifiedAt: 2 }],
  ]);
  const encoded = encodeAttributes(map);
  assert.equal(encoded, JSON.stringify([...map].map(([name, a]) => [name, a.value, a.modifiedAt])));
  assert.equal(decodeAttributes(encoded).get('__proto__')!.value, 'x');
});

test('a session state round-trips; a malformed one reads as none, so the next visit starts a session', () => {
  const session = { id: 's1', startedAt: 10, lastSeenAt: 20, previousVisitAt: null };
  assert.deepEqual(decodeSession(encodeSession(session)), session);
  assert.equal(encodeSession(null), null);
  assert.equal(decodeSession('{"id":"s1"}'), null);
  assert.deepEqual(decodeSession('{"id":"s","startedAt":1,"lastSeenAt":2}'), {
    id: 's',
    startedAt: 1,
    lastSeenAt: 2,
    previousVisitAt: null,
  });
});

test('id lists are sorted by kind then value, without duplicates', () => {
  const ids: VisitorIdRef[] = [
    { kind: 'tntId', value: 'b' },
    { kind: 'thirdPartyId', value: 'x' },
    { kind: 'tntId', value: 'a' },
    { kind: 'tntId', value: 'b' },
  ];
  assert.equal(encodeIdList(ids), '[["thirdPartyId","x"],["tntId","a"],["tntId","b"]]');
  assert.deepEqual(decodeIdList(encodeIdList(ids)), [ids[1], ids[2], ids[0]]);
});

test('minted profile keys are 32 hex characters, distinct, in minting order', () => {
  const keys = Array.from({ length: 5000 }, () => mintProfileKey());
  for (const key of keys) assert.match(key, /^[0-9a-f]{32}$/);
  assert.equal(new Set(keys).size, keys.length);
  // Ordered by time then per-millisecond sequence (the 16 random characters come last).
  const prefixes = keys.map((key) => key.slice(0, 16));
  assert.deepEqual([...prefixes].sort(), prefixes);
});
