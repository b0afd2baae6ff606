import assert from 'node:assert/strict';
import { test } from 'node:test';
import { holdsRowKeyedBy } from './rows-in-body.js';

/** The body cut into pieces of `size` bytes, as a store hands them out. */
async function* piecesOf(body: string, size: number): AsyncIterable<Buffer> {
  const bytes = Buffer.from(body);
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const BODY = 'batch=pcId,a\r\nsomeone,1\nperson-7.28_20,2\nlast-one,3\n';

test('a row keyed by the person is found wherever the pieces are cut, location hints included', async () => {
  for (let size = 1; size <= BODY.length; size++) {
    assert.equal(await holdsRowKeyedBy(piecesOf(BODY, size), ['person-7']), true, `pieces of ${size} bytes`);
    assert.equal(await holdsRowKeyedBy(piecesOf(BODY, size), ['last-one']), true, `pieces of ${size} bytes`);
  }
});

test('a key that is only a prefix of a row key, a value, or the header does not count', async () => {
  for (const key of ['person', 'some', '1', 'pcId', 'batch=pcId', 'a']) {
    assert.equal(await holdsRowKeyedBy(piecesOf(BODY, 7), [key]), false, key);
  }
  assert.equal(await holdsRowKeyedBy(piecesOf(BODY, 7), []), false, 'no keys');
  assert.equal(await holdsRowKeyedBy(piecesOf('', 7), ['someone']), false, 'no body stored');
});

test('reading stops at the first match: later pieces are never asked for', async () => {
  let served = 0;
  async function* counted(): AsyncIterable<Buffer> {
    for await (const piece of piecesOf(BODY + 'x,1\n'.repeat(1000), 16)) {
      served++;
      yield piece;
    }
  }
  assert.equal(await holdsRowKeyedBy(counted(), ['someone']), true);
  assert.equal(served, 2);
});
