import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { escapeXml, m2Failure, xmlResponse } from './xml.js';

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
}

test('m2 replies are flat XML with every text node escaped', () => {
  assert.equal(
    xmlResponse([
      ['success', true],
      ['message', 'a <b> & ]]> "c"'],
    ]),
    '<response><success>true</success><message>a &lt;b&gt; &amp; ]]&gt; &quot;c&quot;</message></response>',
  );
  assert.equal(m2Failure('x'), '<response><success>false</success><message>x</message></response>');
});

test('characters XML cannot carry are replaced, never emitted', () => {
  assert.equal(escapeXml('a\u0000b\u0008c\uD800'), 'a\uFFFDb\uFFFDc\uFFFD');
  assert.equal(escapeXml('tab\tnl\ncr\r😀'), 'tab\tnl\ncr\r😀');
});

test('property: escaped text never holds markup and unescapes to the input (for XML-safe text)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), (text) => {
      const escaped = escapeXml(text);
      assert.ok(!/[<>]/.test(escaped));
      assert.ok(!/&(?!(lt|gt|quot|apos|amp);)/.test(escaped));
      const safe = text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD');
      assert.equal(unescapeXml(escaped), safe);
    }),
  );
});
