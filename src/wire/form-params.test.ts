import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeFormComponent, FormDecodeError, parseFormPairs, rawQueryOf } from './form-params.js';

test('form pairs keep order, decode + as space and UTF-8 percent sequences', () => {
  assert.deepEqual(parseFormPairs('a=1&b=x+y&c=K%C3%B6ln&d&&e='), [
    ['a', '1'],
    ['b', 'x y'],
    ['c', 'Köln'],
    ['d', ''],
    ['e', ''],
  ]);
  assert.deepEqual(parseFormPairs('v=a=b'), [['v', 'a=b']], 'only the first = separates');
});

test('undecodable percent sequences are a typed error, never U+FFFD', () => {
  for (const bad of ['%zz', '%', '%C3', '%E0%A4%A', '%ED%A0%80']) {
    assert.throws(() => decodeFormComponent(bad), FormDecodeError, bad);
  }
});

test('raw query ends at the fragment', () => {
  assert.equal(rawQueryOf('/p?a=1&b=2#frag'), 'a=1&b=2');
  assert.equal(rawQueryOf('/p'), '');
});

test('property: any string survives encodeURIComponent → decodeFormComponent', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), (text) => {
      assert.equal(decodeFormComponent(encodeURIComponent(text)), text);
    }),
  );
});

test('property: any pairs survive being written as a form and parsed back', () => {
  const name = fc.string({ minLength: 1, unit: 'grapheme' });
  fc.assert(
    fc.property(fc.array(fc.tuple(name, fc.string({ unit: 'grapheme' }))), (pairs) => {
      const raw = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
      assert.deepEqual(parseFormPairs(raw), pairs);
    }),
  );
});

test('property: arbitrary input either parses or throws FormDecodeError, nothing else', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (raw) => {
      try {
        parseFormPairs(raw);
      } catch (error) {
        assert.ok(error instanceof FormDecodeError, String(error));
      }
    }),
    { numRuns: 2000 },
  );
});
