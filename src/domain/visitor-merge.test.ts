import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AttributeMap } from './attributes.js';
import type { IdKind } from './identity.js';
import { mergeVisitorStates, planVisitorMerge, type ResolvedId } from './visitor-merge.js';

function id(kind: IdKind, value: string, profile?: { key: string; identified?: boolean }): ResolvedId {
  return { ref: { kind, value }, profile: profile ? { key: profile.key, identified: profile.identified ?? false } : null };
}

function attrs(entries: Record<string, [string, number]>): AttributeMap {
  return new Map(Object.entries(entries).map(([name, [value, modifiedAt]]) => [name, { value, modifiedAt }]));
}

describe('planVisitorMerge: the rules of docs/wire-contract.md#4-merging-ids', () => {
  test('nothing known: a new profile gets every id', () => {
    const plan = planVisitorMerge([id('tntId', 'T'), id('thirdPartyId', 'X')]);
    assert.deepEqual(plan, {
      winnerKey: null,
      absorbKeys: [],
      link: [
        { kind: 'tntId', value: 'T' },
        { kind: 'thirdPartyId', value: 'X' },
      ],
    });
  });

  test('T + unknown X: X becomes an id of P_T', () => {
    const plan = planVisitorMerge([id('tntId', 'T', { key: 'PT' }), id('thirdPartyId', 'X')]);
    assert.deepEqual(plan, { winnerKey: 'PT', absorbKeys: [], link: [{ kind: 'thirdPartyId', value: 'X' }] });
  });

  test('T + X of another profile, P_T anonymous: P_T merges into P_X', () => {
    const plan = planVisitorMerge([id('tntId', 'T', { key: 'PT' }), id('thirdPartyId', 'X', { key: 'PX', identified: true })]);
    assert.deepEqual(plan, { winnerKey: 'PX', absorbKeys: ['PT'], link: [{ kind: 'tntId', value: 'T' }] });
  });

  test('T + X where P_T already names person Y: T is re-pointed, P_T is kept', () => {
    const plan = planVisitorMerge([
      id('tntId', 'T', { key: 'PT', identified: true }),
      id('thirdPartyId', 'X', { key: 'PX', identified: true }),
    ]);
    assert.deepEqual(plan, { winnerKey: 'PX', absorbKeys: [], link: [{ kind: 'tntId', value: 'T' }] });
  });

  test('T of person Y + unknown X: X gets a profile of its own and T follows it', () => {
    const plan = planVisitorMerge([id('tntId', 'T', { key: 'PT', identified: true }), id('thirdPartyId', 'X')]);
    assert.deepEqual(plan, {
      winnerKey: null,
      absorbKeys: [],
      link: [
        { kind: 'tntId', value: 'T' },
        { kind: 'thirdPartyId', value: 'X' },
      ],
    });
  });

  test('ECID and authenticated customer ids link and merge like a tntId', () => {
    const plan = planVisitorMerge([
      id('tntId', 'T', { key: 'PX', identified: true }),
      id('marketingCloudVisitorId', 'E', { key: 'PE' }),
      id('customerId', 'crm:1'),
    ]);
    assert.deepEqual(plan, {
      winnerKey: 'PX',
      absorbKeys: ['PE'],
      link: [
        { kind: 'marketingCloudVisitorId', value: 'E' },
        { kind: 'customerId', value: 'crm:1' },
      ],
    });
  });

  test('without X, two anonymous devices merge into the first one sent', () => {
    const plan = planVisitorMerge([id('tntId', 'T', { key: 'P1' }), id('marketingCloudVisitorId', 'E', { key: 'P2' })]);
    assert.equal(plan.winnerKey, 'P1');
    assert.deepEqual(plan.absorbKeys, ['P2']);
  });

  test('a repeated request changes nothing (SDK retries are harmless)', () => {
    const plan = planVisitorMerge([
      id('tntId', 'T', { key: 'PX', identified: true }),
      id('thirdPartyId', 'X', { key: 'PX', identified: true }),
    ]);
    assert.deepEqual(plan, { winnerKey: 'PX', absorbKeys: [], link: [] });
  });
});

describe('mergeVisitorStates', () => {
  test('the winner wins conflicts with its modifiedAt, one-sided attributes survive', () => {
    const merged = mergeVisitorStates(
      { attributes: attrs({ category: ['skis', 10] }), session: null },
      { attributes: attrs({ category: ['hats', 20], store: ['94103', 5] }), session: null },
      65536,
    );
    assert.deepEqual(merged?.attributes, attrs({ category: ['skis', 10], store: ['94103', 5] }));
  });

  test('session counters add up, the earliest first start and latest last start are kept', () => {
    const merged = mergeVisitorStates(
      {
        attributes: attrs({ sessionCount: ['3', 30], firstSessionStart: ['1000', 1], lastSessionStart: ['3000', 30] }),
        session: { id: 'old', startedAt: 3000, lastSeenAt: 3100, previousVisitAt: 2000 },
      },
      {
        attributes: attrs({ sessionCount: ['1', 50], firstSessionStart: ['5000', 50], lastSessionStart: ['5000', 50] }),
        session: { id: 'now', startedAt: 5000, lastSeenAt: 5200, previousVisitAt: null },
      },
      65536,
    );
    assert.equal(merged?.attributes.get('sessionCount')?.value, '4');
    assert.equal(merged?.attributes.get('firstSessionStart')?.value, '1000');
    assert.equal(merged?.attributes.get('lastSessionStart')?.value, '5000');
    assert.equal(merged?.session?.id, 'now');
  });

  test('a union over the size limit is refused rather than truncated', () => {
    const big = 'v'.repeat(40);
    const merged = mergeVisitorStates(
      { attributes: attrs({ a: [big, 1] }), session: null },
      { attributes: attrs({ b: [big, 1] }), session: null },
      60,
    );
    assert.equal(merged, null);
  });
});
