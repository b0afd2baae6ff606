import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BatchFormatError, encodeBatch, LineSplitter, readBatch, readDataLine, readHeaderLine } from './batch-reader.js';

const body = (text: string) => Buffer.from(text, 'utf8');

test("Adobe's documented example reads as four profiles with short rows and empty cells", () => {
  const { header, rows } = readBatch(
    body('batch=pcId,param1,param2,param3,param4\n123,value1\n124,value1,,,value4\n125,,value2\n126,value1,value2,value3,value4\n'),
  );
  assert.deepEqual(header, { keyColumn: 'pcId', attributes: ['param1', 'param2', 'param3', 'param4'] });
  assert.deepEqual(rows, [
    { kind: 'row', line: 2, key: '123', values: ['value1', '', '', ''] },
    { kind: 'row', line: 3, key: '124', values: ['value1', '', '', 'value4'] },
    { kind: 'row', line: 4, key: '125', values: ['', 'value2', '', ''] },
    { kind: 'row', line: 5, key: '126', values: ['value1', 'value2', 'value3', 'value4'] },
  ]);
});

test('percent-encoded %25 %26 %2C %2B decode, and a raw & = + are data (+ is a space)', () => {
  const { rows } = readBatch(body('batch=thirdPartyId,a,b,c\nx1,100%25%2C%2B,a&b=c,one+two\n'));
  assert.deepEqual(rows[0], { kind: 'row', line: 2, key: 'x1', values: ['100%,+', 'a&b=c', 'one two'] });
});

test('CRLF line ends, a BOM and no trailing newline are accepted', () => {
  const { header, rows } = readBatch(body('\uFEFFbatch=pcId,color\r\nk1,red\r\nk2,blue'));
  assert.equal(header.keyColumn, 'pcId');
  assert.deepEqual(
    rows.map((r) => r.kind === 'row' && [r.key, r.values[0]]),
    [
      ['k1', 'red'],
      ['k2', 'blue'],
    ],
  );
});

test('a BOM after batch= is accepted too (a spreadsheet export appended to a batch= line)', () => {
  assert.deepEqual(readBatch(body('batch=\uFEFFpcId,a\nk,v\n')).header.attributes, ['a']);
});

test('blank lines are not rows, and line numbers still count them', () => {
  const { rows } = readBatch(body('batch=pcId,a\n\nk1,v\r\n\r\nk2,w\n\n'));
  assert.deepEqual(
    rows.map((r) => r.line),
    [3, 5],
  );
});

test('a stray % in a cell is data, as in a form: 50% off, 100%, %zz', () => {
  const { rows } = readBatch(body('batch=pcId,promo,share,odd\nk1,50% off,100%,%zz%4\n50%,x,,\n'));
  assert.deepEqual(rows, [
    { kind: 'row', line: 2, key: 'k1', values: ['50% off', '100%', '%zz%4'] },
    { kind: 'row', line: 3, key: '50%', values: ['x', '', ''] },
  ]);
  assert.deepEqual(readBatch(body('batch=pcId,50%\nk,v\n')).header.attributes, ['50%']);
});

test('a row whose cell is not UTF-8 once decoded, not UTF-8 as bytes, or with too many cells is malformed, not fatal', () => {
  assert.deepEqual(readDataLine(body('k1,K%F6ln'), 2), {
    kind: 'malformed',
    key: 'k1',
    reason: "column 2 is not valid UTF-8 once percent-decoded: 'K%F6ln'",
  });
  assert.deepEqual(readDataLine(body('k%E0,x'), 2), {
    kind: 'malformed',
    key: 'k%E0',
    reason: "key is not valid UTF-8 once percent-decoded: 'k%E0'",
  });
  assert.deepEqual(readDataLine(Buffer.from([0x6b, 0x2c, 0xff]), 1), {
    kind: 'malformed',
    key: 'k',
    reason: 'row is not valid UTF-8',
  });
  assert.deepEqual(readDataLine(body('k,1,2,3'), 2), {
    kind: 'malformed',
    key: 'k',
    reason: 'row has 4 cells but the header names 3 columns',
  });
});

test('every header error refuses the whole batch with a precise message', () => {
  const cases: Array<[string, string]> = [
    ['pcId,a\nk,v', "Batch body must start with 'batch=' followed by the header row"],
    ['', "Batch body must start with 'batch=' followed by the header row"],
    ['batch=mboxPC,a\nk,v', "Header row must start with pcId or thirdPartyId, found 'mboxPC'"],
    ['batch=pcid,a\nk,v', "Header row must start with pcId or thirdPartyId, found 'pcid'"],
    ['batch=pcId\nk', 'Header row names no attribute columns after the key column'],
    ['batch=pcId,a,,b\nk,v', 'Header column 3 has an empty name'],
    ['batch=pcId,a,b,a\nk,v', "Header column 'a' appears more than once"],
    ['batch=pcId,a,pcId\nk,v', "Header column 'pcId' appears more than once"],
    ['batch=pcId,a%FF\nk,v', "Header column 2 is not valid UTF-8 once percent-decoded: 'a%FF'"],
    ['batch=pcId,a\n', 'Batch is empty: no data rows after the header'],
    ['batch=pcId,a\n\r\n\n', 'Batch is empty: no data rows after the header'],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => readBatch(body(text)),
      (err: unknown) => err instanceof BatchFormatError && err.message === message,
      text,
    );
  }
});

test('a multipart file field may leave out the batch= prefix', () => {
  assert.deepEqual(readHeaderLine(body('thirdPartyId,a'), false), { keyColumn: 'thirdPartyId', attributes: ['a'] });
  assert.deepEqual(readHeaderLine(body('batch=thirdPartyId,a'), false), { keyColumn: 'thirdPartyId', attributes: ['a'] });
});

test('the line splitter gives the same lines and offsets however the bytes are chunked', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 6 }), (bytes, cuts) => {
      const whole = Buffer.from(bytes);
      const collect = (chunks: Buffer[]) => {
        const splitter = new LineSplitter(7, 1);
        const lines: Array<[string, number, number]> = [];
        const drain = () => {
          for (let l = splitter.next(); l; l = splitter.next()) lines.push([l.bytes.toString('hex'), l.number, l.nextOffset]);
        };
        for (const chunk of chunks) {
          splitter.push(chunk);
          drain();
        }
        splitter.end();
        drain();
        return lines;
      };
      const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
      const chunks: Buffer[] = [];
      let last = 0;
      for (const p of points) {
        chunks.push(whole.subarray(last, p));
        last = p;
      }
      chunks.push(whole.subarray(last));
      const expected = collect([whole]);
      assert.deepEqual(collect(chunks), expected);
      // The last line ends at the end of the input: offsets account for every byte.
      if (expected.length > 0) assert.equal(expected[expected.length - 1]![2], 7 + whole.length);
    }),
  );
});

const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });
const value = fc.string({ unit: 'grapheme', maxLength: 20 });

test('property: any encoded batch decodes to the same names, keys and values', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('pcId' as const, 'thirdPartyId' as const),
      fc.uniqueArray(name, { minLength: 1, maxLength: 5 }).filter((names) => !names.includes('pcId') && !names.includes('thirdPartyId')),
      fc.array(fc.tuple(name, fc.array(value, { maxLength: 5 })), { minLength: 1, maxLength: 10 }),
      fc.constantFrom('\n', '\r\n'),
      (keyColumn, attributes, rawRows, lineEnd) => {
        const rows = rawRows.map(([key, values]) => [key, ...values.slice(0, attributes.length)]);
        const decoded = readBatch(Buffer.from(encodeBatch({ keyColumn, attributes }, rows, lineEnd)));
        assert.deepEqual(decoded.header, { keyColumn, attributes });
        assert.deepEqual(
          decoded.rows,
          rows.map((row, i) => ({
            kind: 'row',
            line: i + 2,
            key: row[0],
            values: attributes.map((_, c) => row[c + 1] ?? ''),
          })),
        );
      },
    ),
  );
});

test('property: arbitrary bytes never throw anything but BatchFormatError', () => {
  const batchish = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc
      .array(
        fc.constantFrom(
          'batch=',
          'pcId',
          'thirdPartyId',
          ',',
          '\n',
          '\r',
          '%',
          '%2',
          '%zz',
          '%E0',
          '+',
          '&',
          '=',
          'a',
          '\uFEFF',
          '\u0000',
          'é',
        ),
        {
          maxLength: 40,
        },
      )
      .map((parts) => Buffer.from(parts.join(''))),
  );
  fc.assert(
    fc.property(batchish, fc.boolean(), (bytes, requirePrefix) => {
      try {
        const { rows } = readBatch(bytes, requirePrefix);
        for (const row of rows) assert.ok(row.kind === 'row' || row.kind === 'malformed');
      } catch (err) {
        if (!(err instanceof BatchFormatError)) throw err;
      }
    }),
    { numRuns: 2000 },
  );
});

test('header limits are checked on the bytes before splitting: exactly at them is read, one more is refused naming the limit', () => {
  const header = (columns: number) => Buffer.from(`batch=pcId${Array.from({ length: columns }, (_, i) => `,c${i}`).join('')}`);
  const limits = { maxBytes: header(5).length, maxColumns: 5 };
  assert.equal(readHeaderLine(header(5), true, limits).attributes.length, 5);
  assert.throws(() => readHeaderLine(header(6), true, { ...limits, maxBytes: 1000 }), /more than the 5-attribute-column limit/);
  assert.throws(() => readHeaderLine(Buffer.concat([header(5), Buffer.from('x')]), true, limits), /longer than the \d+-byte limit/);
  assert.throws(() => readHeaderLine(Buffer.from(`batch=pcId${','.repeat(1_000_000)}`), true, limits), BatchFormatError);
});

test('a data line of many commas is one malformed row counted on the bytes, naming its cells', () => {
  assert.deepEqual(readDataLine(Buffer.from(`k${','.repeat(100_000)}`), 2), {
    kind: 'malformed',
    key: 'k',
    reason: 'row has 100001 cells but the header names 3 columns',
  });
});
