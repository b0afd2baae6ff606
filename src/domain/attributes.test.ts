import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { applyWrites, type AttributeMap, decodeAttributes, encodeAttributes, ProfileTooLargeError, validateWrites } from './attributes.js';

const limits = { maxNameLength: 128, maxValueLength: 5000 };

test('writes apply in order, empty values change nothing, unchanged values keep their modifiedAt', () => {
  const existing: AttributeMap = new Map([
    ['tier', { value: 'gold', modifiedAt: 1 }],
    ['city', { value: 'Lyon', modifiedAt: 1 }],
  ]);
  const next = applyWrites(
    existing,
    [
      { name: 'tier', value: 'gold' },
      { name: 'city', value: '' },
      { name: 'x', value: '1' },
      { name: 'x', value: '2' },
    ],
    5,
    65536,
  );
  assert.deepEqual(
    [...next],
    [
      ['tier', { value: 'gold', modifiedAt: 1 }],
      ['city', { value: 'Lyon', modifiedAt: 1 }],
      ['x', { value: '2', modifiedAt: 5 }],
    ],
  );
  assert.equal(existing.size, 2, 'the input map is not modified');
});

test('the 64 KB limit counts UTF-8 bytes of names and values and rejects the whole write', () => {
  const writes = [{ name: 'a', value: 'é'.repeat(2000) }]; // 4001 bytes
  assert.throws(() => applyWrites(new Map(), writes, 1, 4000), ProfileTooLargeError);
  assert.equal(applyWrites(new Map(), writes, 1, 4001).size, 1);
});

test('names such as __proto__ are ordinary data', () => {
  const next = applyWrites(
    new Map(),
    validateWrites(
      [
        { name: '__proto__', value: 'x' },
        { name: 'constructor', value: 'y' },
      ],
      limits,
    ),
    1,
    65536,
  );
  const decoded = decodeAttributes(encodeAttributes(next));
  assert.equal(decoded.get('__proto__')!.value, 'x');
  assert.equal(decoded.get('constructor')!.value, 'y');
});

test('validation names the limit that was broken', () => {
  assert.throws(() => validateWrites([{ name: 'n'.repeat(129), value: '1' }], limits), /128-character limit/);
  assert.throws(() => validateWrites([{ name: 'v', value: 'x'.repeat(5001) }], limits), /5000-character limit/);
  assert.throws(() => validateWrites([{ name: 'v', value: 'a\u0001' }], limits), /control characters/);
  assert.deepEqual(validateWrites([{ name: 'v', value: 'line1\nline2\ttab' }], limits), [{ name: 'v', value: 'line1\nline2\ttab' }]);
});

test('property: encode → decode is the identity', () => {
  const attribute = fc.tuple(fc.string({ unit: 'grapheme' }), fc.nat()).map(([value, modifiedAt]) => ({ value, modifiedAt }));
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(fc.string({ unit: 'grapheme' }), attribute), { selector: ([name]) => name }), (entries) => {
      const map: AttributeMap = new Map(entries);
      assert.deepEqual([...decodeAttributes(encodeAttributes(map))], [...map]);
    }),
  );
});
