import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LocationAnswer, LocationRequest } from '../decisioning/decide.js';
import { signEventToken } from '../decisioning/event-tokens.js';
import { impressionsOf, notificationCounts } from './visit-counts.js';

const KEY = Buffer.alloc(32, 7);
const OLD_KEY = Buffer.alloc(32, 9);
const display = (activityId: string, experienceId: string, key = KEY, client = 'demo') =>
  signEventToken({ client, activityId, activityVersion: 1, experienceId, kind: 'display' }, key);
const click = (activityId: string, experienceId: string, metric: string) =>
  signEventToken({ client: 'demo', activityId, activityVersion: 1, experienceId, kind: 'click', metric }, KEY);

function answer(mode: LocationRequest['mode'], activityId?: string, experienceId = 'A', location = 'hero'): LocationAnswer {
  const request: LocationRequest = { mode, kind: 'mbox', name: location };
  if (!activityId) return { request, location, options: [] };
  return {
    request,
    location,
    options: [{ type: 'html', content: 'x', responseTokens: {} }],
    decision: { activityId, activityVersion: 1, experienceId, location },
  };
}

describe('impressionsOf', () => {
  it('counts executed decisions now, once per experience per request, and prefetched ones not at all', () => {
    const groups = impressionsOf([
      answer('execute', 'spring', 'B', 'hero'),
      answer('execute', 'spring', 'B', 'footer'),
      answer('execute', 'loyalty', 'gold'),
      answer('execute'),
      answer('prefetch', 'summer', 'A'),
    ]);
    assert.deepEqual(groups, [
      {
        events: [
          { activityId: 'spring', experienceId: 'B', kind: 'impression' },
          { activityId: 'loyalty', experienceId: 'gold', kind: 'impression' },
        ],
      },
    ]);
  });

  it('counts nothing when nothing executed was decided', () => {
    assert.deepEqual(impressionsOf([answer('execute'), answer('prefetch', 'summer')]), []);
  });
});

describe('notificationCounts', () => {
  it('turns display tokens into impressions and click tokens into conversions, one group per notification id', () => {
    const counts = notificationCounts(
      [
        { id: 'n1', type: 'display', tokens: [display('spring', 'B'), display('spring', 'B')] },
        { id: 'n2', type: 'click', tokens: [click('spring', 'B', 'buy')] },
        { id: 'n1', type: 'display', tokens: [display('loyalty', 'gold')] },
      ],
      'demo',
      [KEY],
    );
    assert.equal(counts.rejectedTokens, 0);
    assert.deepEqual(counts.groups, [
      {
        notificationId: 'n1',
        events: [
          { activityId: 'spring', experienceId: 'B', kind: 'impression' },
          { activityId: 'loyalty', experienceId: 'gold', kind: 'impression' },
        ],
      },
      { notificationId: 'n2', events: [{ activityId: 'spring', experienceId: 'B', kind: 'conversion', metric: 'buy' }] },
    ]);
  });

  it("counts nothing for forged, altered or another client's tokens, and keeps the notification's id uncounted", () => {
    const good = display('spring', 'B');
    const altered = `${good.slice(0, -2)}${good.endsWith('AA') ? 'AB' : 'AA'}`;
    const counts = notificationCounts(
      [
        { id: 'n1', tokens: ['not-a-token', altered, display('spring', 'B', KEY, 'other'), display('spring', 'B', Buffer.alloc(32, 1))] },
        { id: 'n2', tokens: [] },
      ],
      'demo',
      [KEY],
    );
    assert.deepEqual(counts, { groups: [], rejectedTokens: 4 });
  });

  it('verifies tokens signed with any configured key (a rotation), and none without keys', () => {
    const notifications = [{ id: 'n1', tokens: [display('spring', 'A', OLD_KEY)] }];
    assert.equal(notificationCounts(notifications, 'demo', [KEY, OLD_KEY]).groups.length, 1);
    assert.equal(notificationCounts(notifications, 'demo', [KEY]).rejectedTokens, 1);
    assert.equal(notificationCounts(notifications, 'demo', []).rejectedTokens, 1);
  });
});
