import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { after, test } from 'node:test';
import fc from 'fast-check';
import type { AttributeMap } from '../domain/attributes.js';
import { decodeAttributes, encodeAttributes } from '../store/profile-rows.js';
import { BadRequestError } from '../errors.js';
import { parseSingleUpdate } from '../features/profiles/update-request.js';
import { BatchFormatError, encodeBatch, readBatch, readDataLine, readHeaderLine } from './batch-reader.js';
import { FormDecodeError, parseFormPairs } from './form-params.js';
import { formatMboxCookie, type MboxCookieEntry, parseMboxCookie } from './mbox-cookie.js';
import { escapeXml, xmlResponse } from './xml.js';

/**
 * Property tests of every wire codec against hostile input: round trips hold for every
 * well-formed value, and arbitrary input — bytes, lone surrogates, control characters, markup —
 * never throws anything but the codec's typed error. The number of generated cases is reported.
 */
let generated = 0;

function check<T extends unknown[]>(property: fc.IPropertyWithHooks<T> | fc.IProperty<T>, numRuns: number): void {
  fc.assert(property, { numRuns });
  generated += numRuns;
}

after(() => {
  // Shown by the test reporter; the figure goes into the security report.
  process.stdout.write(`# wire codec property cases generated: ${generated}\n`);
});

/** Text with everything hostile mixed in: full Unicode incl. lone surrogates, controls, markup, separators. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .array(
      fc.constantFrom(
        '<',
        '&',
        ']]>',
        '"',
        "'",
        '\u0000',
        '\r\n',
        '\n',
        '\uD800',
        '\uDC00',
        '\uFFFE',
        '%',
        '%zz',
        '%E0',
        '+',
        ',',
        '=',
        '#',
        '|',
        '__proto__',
        'é',
        '💡',
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join('')),
);
const wellFormed = fc.string({ unit: 'grapheme', maxLength: 30 });
const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 });
const IDS = { maxDeviceIdLength: 128, maxThirdPartyIdLength: 256 };

test('batch reader: any bytes as a data line come back as a row, a malformed row or blank — never a throw', () => {
  check(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 20 }), (bytes, columns) => {
      const row = readDataLine(Buffer.from(bytes), columns);
      if (row.kind === 'row') assert.equal(row.values.length, columns);
    }),
    5000,
  );
});

test('batch reader: any header line is a header or a BatchFormatError', () => {
  check(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
        hostileText.map((t) => Buffer.from(`batch=pcId,${t}`)),
      ),
      fc.boolean(),
      (bytes, prefix) => {
        try {
          const header = readHeaderLine(bytes, prefix);
          assert.ok(header.attributes.length > 0);
        } catch (err) {
          if (!(err instanceof BatchFormatError)) throw err;
        }
      },
    ),
    5000,
  );
});

test('batch reader: values holding separators, markup, controls and prototype names survive encode → read', () => {
  check(
    fc.property(
      fc.uniqueArray(name, { minLength: 1, maxLength: 4 }).filter((n) => !n.includes('pcId')),
      fc.array(
        fc.tuple(
          name,
          fc.array(fc.oneof(wellFormed, fc.constantFrom('<&]]>', 'a,b', 'x%2Cy', '__proto__', '\u0000\n\r', 'a+b=c&d')), { maxLength: 4 }),
        ),
        { minLength: 1, maxLength: 8 },
      ),
      (attributes, rawRows) => {
        const rows = rawRows.map(([key, values]) => [key, ...values.slice(0, attributes.length)]);
        const { rows: read } = readBatch(Buffer.from(encodeBatch({ keyColumn: 'pcId', attributes }, rows)));
        assert.deepEqual(
          read.map((r) => (r.kind === 'row' ? [r.key, ...r.values] : r)),
          rows.map((row) => [row[0], ...attributes.map((_, i) => row[i + 1] ?? '')]),
        );
      },
    ),
    2000,
  );
});

test('form parser: any query or body either parses or throws FormDecodeError', () => {
  check(
    fc.property(hostileText, (raw) => {
      try {
        parseFormPairs(raw);
      } catch (err) {
        if (!(err instanceof FormDecodeError)) throw err;
      }
    }),
    5000,
  );
});

/**
 * What clients really send in a form component or a batch cell: encoded and unencoded text mixed,
 * stray `%` (`50% off`), `+`, `%2B`, and byte sequences that are and are not UTF-8. No `&` (it
 * separates parameters) and no lone surrogate (a URL or body read from bytes cannot hold one).
 */
const percentText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '%',
        '%2',
        '%zz',
        '%%',
        '%25',
        '%2B',
        '%2b',
        '+',
        '%20',
        '%C3%A9',
        '%C3',
        '%A9',
        '%FF',
        '%E0%A4',
        '%ED%A0%80',
        '%C0%AF',
      ),
      fc.constantFrom('%00', '50% off', '100%', 'a', 'é', '💡', '=', ' ', ',', '@'),
      fc.string({ unit: 'grapheme', maxLength: 4 }).map((t) => t.replace(/&/g, '')),
    ),
    { maxLength: 10 },
  )
  .map((parts) => parts.join(''));

/** The WHATWG URL standard's form decoding, as bytes: `+` is a space, `%XX` a byte, any other `%` itself. */
function whatwgFormBytes(raw: string): Buffer {
  const bytes = Buffer.from(raw.replace(/\+/g, ' '), 'utf8');
  const out: number[] = [];
  const hex = (b: number | undefined) => b !== undefined && /[0-9A-Fa-f]/.test(String.fromCharCode(b));
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x25 && hex(bytes[i + 1]) && hex(bytes[i + 2])) {
      out.push(Number.parseInt(String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!), 16));
      i += 2;
    } else out.push(bytes[i]!);
  }
  return Buffer.from(out);
}

test('form decoding is WHATWG form decoding: only a result that is not UTF-8 is refused, instead of U+FFFD', () => {
  check(
    fc.property(
      percentText.map((t) => t.replace(/=/g, '')),
      percentText,
      (rawName, rawValue) => {
        const name = whatwgFormBytes(rawName);
        const value = whatwgFormBytes(rawValue);
        if (isUtf8(name) && isUtf8(value)) {
          const expected = [[name.toString('utf8'), value.toString('utf8')]];
          assert.deepEqual(parseFormPairs(`${rawName}=${rawValue}`), expected);
          // URLSearchParams agrees on printable ASCII (Node 20's mis-decodes some non-ASCII text after "%%").
          if (/^[ -~]*$/.test(rawName + rawValue)) assert.deepEqual([...new URLSearchParams(`${rawName}=${rawValue}`)], expected);
        } else {
          assert.throws(() => parseFormPairs(`${rawName}=${rawValue}`), FormDecodeError);
        }
      },
    ),
    5000,
  );
});

test('batch cells decode like form components: a stray % stays, a cell that is not UTF-8 fails its row only', () => {
  check(
    fc.property(
      percentText.map((t) => t.replace(/,/g, '')),
      (cell) => {
        const decoded = whatwgFormBytes(cell);
        const row = readDataLine(Buffer.from(`key-1,${cell}`), 1);
        if (isUtf8(decoded)) assert.deepEqual(row, { kind: 'row', key: 'key-1', values: [decoded.toString('utf8')] });
        else
          assert.deepEqual(row, {
            kind: 'malformed',
            key: 'key-1',
            reason: `column 2 is not valid UTF-8 once percent-decoded: '${cell.length > 64 ? `${cell.slice(0, 64)}…` : cell}'`,
          });
      },
    ),
    5000,
  );
});

test('profile.* parser: any pairs give a single update or a BadRequestError (the 400 of the endpoint)', () => {
  const key = fc.constantFrom('mboxPC', 'mbox3rdPartyId', 'profile.', 'profile.a', 'profile.__proto__', 'profile.constructor', 'other');
  check(
    fc.property(
      fc.array(
        fc.tuple(
          fc.oneof(
            key,
            key.chain((k) => hostileText.map((t) => k + t)),
          ),
          hostileText,
        ),
        { maxLength: 8 },
      ),
      (pairs) => {
        try {
          const update = parseSingleUpdate(pairs, IDS);
          assert.ok(update.writes.length > 0);
        } catch (err) {
          if (!(err instanceof BadRequestError)) throw err;
        }
      },
    ),
    5000,
  );
});

test('profile.* parser: names and values round-trip through a URL-encoded query, in order', () => {
  check(
    fc.property(fc.array(fc.tuple(name, wellFormed), { minLength: 1, maxLength: 8 }), (attributes) => {
      const query = ['mboxPC=visitor-1', ...attributes.map(([n, v]) => `profile.${encodeURIComponent(n)}=${encodeURIComponent(v)}`)].join(
        '&',
      );
      const update = parseSingleUpdate(parseFormPairs(query), IDS);
      assert.deepEqual(update.ref, { kind: 'tntId', value: 'visitor-1' });
      assert.deepEqual(
        update.writes,
        attributes.map(([n, v]) => ({ name: n, value: v })),
      );
    }),
    2000,
  );
});

test('mbox cookie: any cookie text parses without throwing, into well-formed entries only', () => {
  check(
    fc.property(hostileText, fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: undefined }), (raw, now) => {
      for (const entry of parseMboxCookie(raw, now)) {
        assert.ok(entry.name.length > 0 && Number.isSafeInteger(entry.expiresAt));
        if (now !== undefined) assert.ok(entry.expiresAt >= now);
      }
    }),
    5000,
  );
});

test('mbox cookie: entries with separators and markup round-trip through format → parse', () => {
  const entry: fc.Arbitrary<MboxCookieEntry> = fc.record(
    {
      name: fc.oneof(name, fc.constantFrom('PC', 'session', '__proto__', 'a#b|c')),
      value: fc.oneof(wellFormed, fc.constantFrom('#', '|', '<&]]>', '%zz')),
      expiresAt: fc.integer({ min: 0, max: 2 ** 40 }),
    },
    { noNullPrototype: true },
  );
  check(
    fc.property(fc.array(entry, { maxLength: 6 }), (entries) => {
      assert.deepEqual(parseMboxCookie(formatMboxCookie(entries)), entries);
    }),
    3000,
  );
});

/** A strict reader for the flat `<response><name>text</name>…</response>` documents we write. */
function readFlatXml(xml: string): Array<[string, string]> {
  const match = /^<response>(.*)<\/response>$/s.exec(xml);
  assert.ok(match, xml);
  const fields: Array<[string, string]> = [];
  const element = /<([A-Za-z]+)>([^<]*)<\/\1>/gy;
  let consumed = 0;
  for (let m = element.exec(match[1]!); m; m = element.exec(match[1]!)) {
    assert.ok(!/&(?!(lt|gt|quot|apos|amp);)/.test(m[2]!), `bare & in ${m[2]}`);
    fields.push([
      m[1]!,
      m[2]!.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!),
    ]);
    consumed = element.lastIndex;
  }
  assert.equal(consumed, match[1]!.length, 'the document holds only flat elements');
  return fields;
}

// eslint-disable-next-line no-control-regex
const XML_ILLEGAL =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

test('XML writer: any text gives a well-formed document that reads back as the text (XML-illegal characters replaced)', () => {
  check(
    fc.property(fc.array(fc.tuple(fc.constantFrom('message', 'batchId', 'key', 'reason'), hostileText), { maxLength: 6 }), (fields) => {
      const xml = xmlResponse(fields);
      assert.ok(!XML_ILLEGAL.test(xml), 'no character XML 1.0 cannot carry');
      assert.deepEqual(
        readFlatXml(xml),
        fields.map(([n, v]) => [n, v.replace(new RegExp(XML_ILLEGAL.source, 'g'), '\uFFFD')]),
      );
    }),
    5000,
  );
  check(
    fc.property(hostileText, (text) => void escapeXml(text)),
    2000,
  );
});

test('stored attribute form: any names and values (prototype names included) round-trip', () => {
  check(
    fc.property(
      fc.array(fc.tuple(fc.oneof(name, fc.constantFrom('__proto__', 'constructor', 'prototype')), wellFormed, fc.nat()), { maxLength: 10 }),
      (rows) => {
        const attributes: AttributeMap = new Map(rows.map(([n, value, modifiedAt]) => [n, { value, modifiedAt }]));
        assert.deepEqual(decodeAttributes(encodeAttributes(attributes)), attributes);
      },
    ),
    2000,
  );
});
