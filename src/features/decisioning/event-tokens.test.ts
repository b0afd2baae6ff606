import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type EventTokenClaims, signEventToken, verifyEventToken } from './event-tokens.js';

const KEY = 'event-token-key-for-tests-0123456789';
const OTHER_KEY = Buffer.alloc(32, 7);

const claims: fc.Arbitrary<EventTokenClaims> = fc.oneof(
  fc.record({
    client: fc.string(),
    activityId: fc.string(),
    activityVersion: fc.nat(),
    experienceId: fc.string(),
    kind: fc.constant('display' as const),
  }),
  fc.record({
    client: fc.string(),
    activityId: fc.string(),
    activityVersion: fc.nat(),
    experienceId: fc.string(),
    kind: fc.constant('click' as const),
    metric: fc.string(),
  }),
);

describe('event tokens', () => {
  test('a token carries what it counts and verifies with the key that signed it', () => {
    fc.assert(
      fc.property(claims, (c) => {
        const token = signEventToken(c, KEY);
        assert.match(token, /^pe1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
        assert.deepEqual(verifyEventToken(token, KEY), { ...c });
        assert.equal(verifyEventToken(token, OTHER_KEY), null);
      }),
    );
  });

  test('a token changed in any one character is refused, the spare bits of its last character included', () => {
    fc.assert(
      fc.property(
        claims,
        fc.nat(),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'),
        (c, at, replacement) => {
          const token = signEventToken(c, KEY);
          const position = at % token.length;
          fc.pre(token[position] !== replacement);
          const altered = `${token.slice(0, position)}${replacement}${token.slice(position + 1)}`;
          assert.equal(verifyEventToken(altered, KEY), null, altered);
        },
      ),
    );
    // The last character of a 16-byte tag carries 2 bits: these 4 spellings decode alike.
    const token = signEventToken({ client: 'shop', activityId: 'hero', activityVersion: 3, experienceId: 'B', kind: 'display' }, KEY);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(token.at(-1)!);
    for (let spare = 1; spare < 16; spare += 1) {
      const sibling = `${token.slice(0, -1)}${alphabet[(last & ~15) | ((last + spare) & 15)]}`;
      assert.equal(verifyEventToken(sibling, KEY), null, sibling);
    }
  });

  test('an altered token is refused: claims, tag, prefix', () => {
    const token = signEventToken({ client: 'shop', activityId: 'hero', activityVersion: 3, experienceId: 'B', kind: 'display' }, KEY);
    const [prefix, body, tag] = token.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify(['shop', 'hero', 3, 'A', 'd'])).toString('base64url');
    assert.equal(verifyEventToken(`${prefix}.${forged}.${tag}`, KEY), null, 'another experience under the same tag');
    assert.equal(verifyEventToken(`${prefix}.${body}.${tag.slice(0, -2)}AA`, KEY), null);
    assert.equal(verifyEventToken(`pe2.${body}.${tag}`, KEY), null);
    assert.equal(verifyEventToken(`${token}.x`, KEY), null);
  });

  test('keys being retired still verify, after the current one', () => {
    const old = signEventToken(
      { client: 'c', activityId: 'a', activityVersion: 1, experienceId: 'e', kind: 'click', metric: 'buy' },
      OTHER_KEY,
    );
    assert.equal(verifyEventToken(old, KEY), null);
    assert.equal(verifyEventToken(old, [KEY, OTHER_KEY])?.metric, 'buy');
  });

  test('arbitrary strings never verify; a short key is refused', () => {
    fc.assert(fc.property(fc.string(), (text) => assert.equal(verifyEventToken(text, KEY), null)));
    assert.throws(
      () => signEventToken({ client: 'c', activityId: 'a', activityVersion: 1, experienceId: 'e', kind: 'display' }, 'short'),
      RangeError,
    );
  });
});
