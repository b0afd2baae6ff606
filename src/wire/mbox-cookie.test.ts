import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatMboxCookie, mboxCookieEntry, type MboxCookieEntry, parseMboxCookie, visitorMboxCookie } from './mbox-cookie.js';

test('reads the cookie the Node SDK wrote in the wild', () => {
  const raw = 'session#sess-111#1795479238|PC#43789130716d4d26bee45616f5206a0e#1858722178';
  assert.deepEqual(parseMboxCookie(raw), [
    { name: 'session', value: 'sess-111', expiresAt: 1795479238 },
    { name: 'PC', value: '43789130716d4d26bee45616f5206a0e', expiresAt: 1858722178 },
  ]);
  assert.equal(mboxCookieEntry(raw, 'PC'), '43789130716d4d26bee45616f5206a0e');
});

test("writes session and PC entries with the clients' lifetimes", () => {
  assert.equal(visitorMboxCookie('s1', 'abc', 1_000), 'session#s1#2860|PC#abc#63245800');
});

test('drops malformed and expired entries but keeps the rest', () => {
  const raw = 'session#s#10|broken|PC#a#b|x#%E0%A4%A#99|check#1#5|PC#keep#100';
  assert.deepEqual(parseMboxCookie(raw, 50), [{ name: 'PC', value: 'keep', expiresAt: 100 }]);
  assert.equal(mboxCookieEntry(raw, 'session', 50), undefined);
  assert.equal(mboxCookieEntry(raw, 'session'), 's');
});

test('a later entry of the same name wins, as in the SDK', () => {
  assert.equal(mboxCookieEntry('PC#first#9|PC#second#9', 'PC'), 'second');
});

test('values with #, | and non-ASCII characters survive a round trip', () => {
  const entries = [{ name: 'session', value: 'a#b|c é 💡', expiresAt: 42 }];
  const raw = formatMboxCookie(entries);
  assert.equal(raw.split('|').length, 1);
  assert.deepEqual(parseMboxCookie(raw), entries);
});

const entryArb: fc.Arbitrary<MboxCookieEntry> = fc.record(
  {
    name: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
    value: fc.string({ unit: 'grapheme', maxLength: 40 }),
    expiresAt: fc.integer({ min: 0, max: 2 ** 40 }),
  },
  { noNullPrototype: true },
);

test('property: parse(format(entries)) gives the entries back', () => {
  fc.assert(
    fc.property(fc.array(entryArb, { maxLength: 6 }), (entries) => {
      assert.deepEqual(parseMboxCookie(formatMboxCookie(entries)), entries);
    }),
  );
});

test('property: parsing never throws and yields only well-formed, live entries', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), fc.integer({ min: 0, max: 100 }), (raw, now) => {
      for (const entry of parseMboxCookie(raw, now)) {
        assert.ok(entry.name.length > 0);
        assert.ok(Number.isInteger(entry.expiresAt) && entry.expiresAt >= now);
      }
    }),
  );
});

test('property: format then parse is stable (a second round trip changes nothing)', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), (raw) => {
      const once = parseMboxCookie(raw);
      assert.deepEqual(parseMboxCookie(formatMboxCookie(once)), once);
    }),
  );
});
