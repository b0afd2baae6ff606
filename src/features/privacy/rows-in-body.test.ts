import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PersonKeys } from '../batches/row-keys.js';
import { holdsRowOf } from './rows-in-body.js';

/** The body cut into pieces of `size` bytes, as a store hands them out. */
async function* piecesOf(body: string | Buffer, size: number): AsyncIterable<Buffer> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const tntIds = (...ids: string[]): PersonKeys => ({ tntIds: ids, thirdPartyIds: [] });
const thirdPartyIds = (...ids: string[]): PersonKeys => ({ tntIds: [], thirdPartyIds: ids });

const BODY = 'batch=pcId,a\r\nsomeone,1\nperson-7.28_20,2\nper%73on%2D8,3\nkey-only\r\nlast-one';

test('a row keyed by the person is found wherever the pieces are cut: location hints, percent-encoded keys, key-only lines', async () => {
  for (let size = 1; size <= BODY.length; size++) {
    for (const id of ['someone', 'person-7', 'person-8', 'key-only', 'last-one']) {
      assert.equal(await holdsRowOf(piecesOf(BODY, size), 'pcId', tntIds(id)), true, `${id}, pieces of ${size} bytes`);
    }
  }
});

test('a key that is only a prefix of a row key, a value, the header, or a dotted key that is no location hint does not count', async () => {
  for (const id of ['person', 'some', '1', 'pcId', 'batch=pcId', 'a', 'per%73on%2D8', 'last']) {
    assert.equal(await holdsRowOf(piecesOf(BODY, 7), 'pcId', tntIds(id)), false, id);
  }
  assert.equal(await holdsRowOf(piecesOf('batch=pcId,a\nperson-7.x,1\n', 7), 'pcId', tntIds('person-7')), false, 'not a hint');
  assert.equal(await holdsRowOf(piecesOf(BODY, 7), 'pcId', tntIds()), false, 'no keys');
  assert.equal(await holdsRowOf(piecesOf('', 7), 'pcId', tntIds('someone')), false, 'no body stored');
});

test("keys are compared as ids of the batch's key column: a thirdPartyId has no location hint, and is not a tntId", async () => {
  const body = 'batch=thirdPartyId,a\ncrm-1.28_20,x\ncrm-2.something,x\nada%2Bnews%40example.com,x\n';
  const holds = (keyColumn: 'pcId' | 'thirdPartyId', person: PersonKeys) => holdsRowOf(piecesOf(body, 5), keyColumn, person);
  assert.equal(await holds('thirdPartyId', thirdPartyIds('crm-1')), false, 'crm-1.28_20 is another person');
  assert.equal(await holds('thirdPartyId', thirdPartyIds('crm-2')), false, 'crm-2.something is another person');
  assert.equal(await holds('thirdPartyId', thirdPartyIds('crm-2.something')), true);
  assert.equal(await holds('thirdPartyId', thirdPartyIds('ada+news@example.com')), true, '%2B is a plus sign');
  assert.equal(await holds('thirdPartyId', tntIds('crm-2.something', 'crm-1')), false, 'a tntId of the same value is another person');
  assert.equal(await holds('pcId', tntIds('crm-1')), true, 'read as a pcId batch, crm-1.28_20 is crm-1');
});

test('key cells that do not decode, are not UTF-8, or are longer than any id name nobody; the rest of the body is still read', async () => {
  const body = Buffer.concat([
    Buffer.from('batch=thirdPartyId,a\nbad%FF,x\n'),
    Buffer.from([0x62, 0xff, 0x2c, 0x78, 0x0a]), // b<0xFF>,x
    Buffer.from(`${'k'.repeat(200_000)},x\ncrm-9,${'v'.repeat(100_000)}\n`),
  ]);
  assert.equal(await holdsRowOf(piecesOf(body, 4096), 'thirdPartyId', thirdPartyIds('bad%FF', 'b\uFFFD', 'k'.repeat(200_000))), false);
  assert.equal(await holdsRowOf(piecesOf(body, 4096), 'thirdPartyId', thirdPartyIds('crm-9')), true);
});

test('reading stops at the first match: later pieces are never asked for', async () => {
  let served = 0;
  async function* counted(): AsyncIterable<Buffer> {
    for await (const piece of piecesOf(BODY + 'x,1\n'.repeat(1000), 16)) {
      served++;
      yield piece;
    }
  }
  assert.equal(await holdsRowOf(counted(), 'pcId', tntIds('someone')), true);
  assert.equal(served, 2);
});
