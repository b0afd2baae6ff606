import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyWrites, type AttributeMap, validateWrites } from './attributes.js';

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
  );
  assert.equal(next.get('__proto__')!.value, 'x');
  assert.equal(next.get('constructor')!.value, 'y');
  assert.equal(Object.getPrototypeOf(next), Map.prototype);
});

test('validation names the limit that was broken', () => {
  assert.throws(() => validateWrites([{ name: 'n'.repeat(129), value: '1' }], limits), /128-character limit/);
  assert.throws(() => validateWrites([{ name: 'v', value: 'x'.repeat(5001) }], limits), /5000-character limit/);
  assert.throws(() => validateWrites([{ name: 'v', value: 'a\u0001' }], limits), /control characters/);
  assert.deepEqual(validateWrites([{ name: 'v', value: 'line1\nline2\ttab' }], limits), [{ name: 'v', value: 'line1\nline2\ttab' }]);
});
