import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeFormComponent,
  escapeStrayPercentsInPath,
  FormDecodeError,
  parseFormPairs,
  rawQueryOf,
  undecodablePathMessage,
} from './form-params.js';

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

test("a '%' that starts no %XX byte stays literal, as WHATWG form decoding has it", () => {
  assert.deepEqual(parseFormPairs('profile.promo=50% off&profile.b=100%&profile.c=%zz%4&profile.d=%%41'), [
    ['profile.promo', '50% off'],
    ['profile.b', '100%'],
    ['profile.c', '%zz%4'],
    ['profile.d', '%A'],
  ]);
  assert.equal(decodeFormComponent('%'), '%');
  assert.equal(decodeFormComponent('ada%2Bnews%40example.com'), 'ada+news@example.com', '%2B is a plus');
  assert.equal(decodeFormComponent('ada+news'), 'ada news', 'a raw + is a space');
});

test('only decoded bytes that are not UTF-8 are refused, naming the parameter, never U+FFFD', () => {
  for (const bad of ['%FF', '%C3', '%E0%A4%A', '%ED%A0%80', '%C0%AF', 'a%C3+']) {
    assert.throws(() => decodeFormComponent(bad), FormDecodeError, bad);
  }
  assert.throws(() => parseFormPairs('mboxPC=v&profile.city=K%F6ln'), {
    name: 'FormDecodeError',
    message: "the value of 'profile.city' is not valid UTF-8 once percent-decoded",
  });
  assert.throws(() => parseFormPairs('profile.%FF=1'), {
    name: 'FormDecodeError',
    message: "parameter name 'profile.%FF' is not valid UTF-8 once percent-decoded",
  });
});

test('a stray % in a URL path is escaped for the router, the query is left to its readers', () => {
  assert.equal(
    escapeStrayPercentsInPath('/rest/v1/profiles/thirdPartyId/50%?client=demo&x=5%'),
    '/rest/v1/profiles/thirdPartyId/50%25?client=demo&x=5%',
  );
  assert.equal(escapeStrayPercentsInPath('/a/ada%2Bnews%40example.com'), '/a/ada%2Bnews%40example.com');
  assert.equal(escapeStrayPercentsInPath('/a/%zz/%%41#%'), '/a/%25zz/%25%41#%');
  assert.equal(
    undecodablePathMessage('/rest/v1/profiles/a%FFb?client=%FF'),
    "URL path segment 'a%FFb' is not valid UTF-8 once percent-decoded",
  );
  assert.equal(undecodablePathMessage('/rest/v1/profiles/50%25'), null);
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
