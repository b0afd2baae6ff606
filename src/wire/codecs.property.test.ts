import assert from 'node:assert/strict';
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
