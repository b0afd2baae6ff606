import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProfileTooLargeError } from '../../src/domain/attributes.js';
import type { VisitorIdRef } from '../../src/domain/identity.js';
import type { CountedEvent, CountedGroup, VisitWrite } from '../../src/features/delivery/visits-store.js';
import type { ExperienceCounts } from '../../src/features/reports/reports-store.js';
import type { Stores } from '../../src/store/open-stores.js';

/**
 * Counting for reports: what visits count (VisitWrite.counted) and what the reports store
 * aggregates, on every store. Registered inside describeStoreContract, with clients c1 and c2
 * existing.
 */
export function countingContract(storesOf: () => Stores): void {
  const tnt = (value: string): VisitorIdRef => ({ kind: 'tntId', value });
  const shown = (activityId: string, experienceId: string): CountedEvent => ({ activityId, experienceId, kind: 'impression' });
  const clicked = (activityId: string, experienceId: string, metric: string): CountedEvent => ({
    activityId,
    experienceId,
    kind: 'conversion',
    metric,
  });
  const countingVisit = (refs: VisitorIdRef[], groups: CountedGroup[], now = 1000): VisitWrite => ({
    now,
    expiresAt: now + 10_000,
    maxProfileBytes: 65_536,
    refs,
    apply: (state) => state,
    counted: () => groups,
  });
  /** The report's counts as plain data, experiences in id order. */
  const countsOf = async (client: string, activityId: string) =>
    (await storesOf().reports.activityCounts(client, activityId))
      .sort((a, b) => (a.experienceId < b.experienceId ? -1 : 1))
      .map((counts: ExperienceCounts) => ({ ...counts, metrics: Object.fromEntries(counts.metrics) }));

  test('counting: a visit writes its counts with it; the report sums them and counts each visitor once per experience and metric', async () => {
    const { visits } = storesOf();
    // Alice sees A twice (two visits) and buys twice; Bob sees A and signs up; Carol sees B and buys.
    const alice = await visits.recordVisit('c1', countingVisit([tnt('cnt-alice')], [{ events: [shown('act-1', 'A')] }]));
    await visits.recordVisit(
      'c1',
      countingVisit([tnt('cnt-alice')], [{ events: [shown('act-1', 'A'), clicked('act-1', 'A', 'buy'), clicked('act-1', 'A', 'buy')] }]),
    );
    await visits.recordVisit(
      'c1',
      countingVisit([tnt('cnt-bob')], [{ events: [shown('act-1', 'A')] }, { events: [clicked('act-1', 'A', 'signup')] }]),
    );
    await visits.recordVisit(
      'c1',
      countingVisit([tnt('cnt-carol')], [{ notificationId: 'n-carol', events: [shown('act-1', 'B'), clicked('act-1', 'B', 'buy')] }]),
    );
    // Another activity, and the same activity id in another client, are counted apart.
    await visits.recordVisit('c1', countingVisit([tnt('cnt-alice')], [{ events: [shown('act-2', 'A')] }]));
    await visits.recordVisit('c2', countingVisit([tnt('cnt-alice')], [{ events: [shown('act-1', 'A')] }]));

    assert.equal(alice.replayedNotifications, 0);
    assert.deepEqual(await countsOf('c1', 'act-1'), [
      {
        experienceId: 'A',
        visitors: 2,
        impressions: 3,
        metrics: { buy: { visitors: 1, conversions: 2 }, signup: { visitors: 1, conversions: 1 } },
      },
      { experienceId: 'B', visitors: 1, impressions: 1, metrics: { buy: { visitors: 1, conversions: 1 } } },
    ]);
    assert.deepEqual(await countsOf('c1', 'act-2'), [{ experienceId: 'A', visitors: 1, impressions: 1, metrics: {} }]);
    assert.deepEqual(await countsOf('c2', 'act-1'), [{ experienceId: 'A', visitors: 1, impressions: 1, metrics: {} }]);
    assert.deepEqual(await countsOf('c1', 'act-none'), []);
  });

  test('counting: a replayed notification id counts once per client, whoever replays it; groups without an id always count', async () => {
    const { visits } = storesOf();
    const once = { notificationId: 'n-replayed', events: [shown('act-replay', 'A')] };
    const first = await visits.recordVisit('c1', countingVisit([tnt('rp-1')], [once, { events: [shown('act-replay', 'B')] }]));
    const replay = await visits.recordVisit('c1', countingVisit([tnt('rp-1')], [once, { events: [shown('act-replay', 'B')] }]));
    const elsewhere = await visits.recordVisit('c1', countingVisit([tnt('rp-2')], [once]));
    // The same id twice in one visit counts once too.
    const twice = await visits.recordVisit(
      'c1',
      countingVisit(
        [tnt('rp-3')],
        [
          { ...once, notificationId: 'n-twice' },
          { ...once, notificationId: 'n-twice' },
        ],
      ),
    );
    const otherClient = await visits.recordVisit('c2', countingVisit([tnt('rp-1')], [once]));
    assert.deepEqual(
      [first, replay, elsewhere, twice, otherClient].map((visit) => visit.replayedNotifications),
      [0, 1, 1, 1, 0],
    );
    assert.deepEqual(await countsOf('c1', 'act-replay'), [
      { experienceId: 'A', visitors: 2, impressions: 2, metrics: {} },
      { experienceId: 'B', visitors: 1, impressions: 2, metrics: {} },
    ]);
    assert.deepEqual(await countsOf('c2', 'act-replay'), [{ experienceId: 'A', visitors: 1, impressions: 1, metrics: {} }]);
  });

  test('counting: concurrent visits carrying the same notification id count it exactly once', async () => {
    const { visits } = storesOf();
    const racers = 12;
    const group = { notificationId: 'n-race', events: [shown('act-race', 'A'), clicked('act-race', 'A', 'buy')] };
    const recorded = await Promise.all(
      Array.from({ length: racers }, (_, i) => visits.recordVisit('c1', countingVisit([tnt(`race-visitor-${i % 3}`)], [group]))),
    );
    assert.equal(recorded.filter((visit) => visit.replayedNotifications === 0).length, 1);
    assert.equal(
      recorded.reduce((sum, visit) => sum + visit.replayedNotifications, 0),
      racers - 1,
    );
    assert.deepEqual(await countsOf('c1', 'act-race'), [
      { experienceId: 'A', visitors: 1, impressions: 1, metrics: { buy: { visitors: 1, conversions: 1 } } },
    ]);
  });

  test('counting: concurrent first visits of one new visitor (restarted transactions included) count every visit once, on one visitor', async () => {
    const { visits } = storesOf();
    const tabs = 10;
    let calls = 0;
    const counted = () => {
      calls += 1;
      return [{ events: [shown('act-tabs', 'A')] }];
    };
    const recorded = await Promise.all(
      Array.from({ length: tabs }, () => visits.recordVisit('c1', { ...countingVisit([tnt('tabs-visitor')], []), counted })),
    );
    assert.equal(new Set(recorded.map((visit) => visit.key)).size, 1, 'one profile');
    assert.ok(calls >= tabs, 'counted() is asked at least once per visit (again when a transaction restarts)');
    assert.deepEqual(await countsOf('c1', 'act-tabs'), [{ experienceId: 'A', visitors: 1, impressions: tabs, metrics: {} }]);
  });

  test('counting: a refused visit counts nothing and leaves its notification id unused', async () => {
    const { visits } = storesOf();
    const group = { notificationId: 'n-refused', events: [shown('act-refused', 'A')] };
    await assert.rejects(
      visits.recordVisit('c1', {
        ...countingVisit([tnt('refused-visitor')], [group]),
        apply: (state) => ({ ...state, attributes: new Map([['big', { value: 'x'.repeat(70_000), modifiedAt: 1000 }]]) }),
      }),
      ProfileTooLargeError,
    );
    // Neighbours of a refused visit (on SQLite: the same group commit) still count.
    const [refused, neighbour] = await Promise.allSettled([
      visits.recordVisit('c1', {
        ...countingVisit([tnt('refused-visitor')], [group]),
        apply: () => {
          throw new Error('gave up');
        },
      }),
      visits.recordVisit('c1', countingVisit([tnt('refused-neighbour')], [{ events: [shown('act-refused', 'B')] }])),
    ]);
    assert.equal(refused.status, 'rejected');
    assert.equal(neighbour.status, 'fulfilled');
    assert.deepEqual(await countsOf('c1', 'act-refused'), [{ experienceId: 'B', visitors: 1, impressions: 1, metrics: {} }]);

    const accepted = await visits.recordVisit('c1', countingVisit([tnt('refused-visitor')], [group]));
    assert.equal(accepted.replayedNotifications, 0, 'the id was never remembered');
    assert.equal((await countsOf('c1', 'act-refused'))[0]?.impressions, 1);
  });

  test('counting: a notification id over 200 characters, or a conversion without its metric, refuses the visit whole', async () => {
    const { visits, profiles } = storesOf();
    await assert.rejects(
      visits.recordVisit('c1', countingVisit([tnt('bad-count')], [{ notificationId: 'n'.repeat(201), events: [shown('act-bad', 'A')] }])),
      RangeError,
    );
    await assert.rejects(
      visits.recordVisit(
        'c1',
        countingVisit([tnt('bad-count')], [{ events: [{ activityId: 'act-bad', experienceId: 'A', kind: 'conversion' }] }]),
      ),
      RangeError,
    );
    assert.equal(await profiles.find('c1', tnt('bad-count'), 1000), null, 'no profile written');
    const longest = await visits.recordVisit(
      'c1',
      countingVisit([tnt('bad-count')], [{ notificationId: 'n'.repeat(200), events: [shown('act-bad', 'A')] }]),
    );
    assert.equal(longest.replayedNotifications, 0);
    assert.deepEqual(await countsOf('c1', 'act-bad'), [{ experienceId: 'A', visitors: 1, impressions: 1, metrics: {} }]);
  });

  test('counting: notification ids counted before the retention cutoff are forgotten (then a replay counts again); newer ones stay', async () => {
    const { visits, reports } = storesOf();
    await visits.recordVisit('c1', countingVisit([tnt('old-n')], [{ notificationId: 'n-old-1', events: [shown('act-old', 'A')] }], 5_000));
    await visits.recordVisit('c1', countingVisit([tnt('old-n')], [{ notificationId: 'n-old-2', events: [shown('act-old', 'A')] }], 5_001));
    await visits.recordVisit('c1', countingVisit([tnt('old-n')], [{ notificationId: 'n-new', events: [shown('act-old', 'A')] }], 9_000));
    // Other tests' ids (counted at 1000) go too: count only what this cutoff adds beyond them.
    let forgotten = 0;
    let removed: number;
    do {
      removed = await reports.forgetNotificationsBefore(9_000, 2);
      forgotten += removed;
    } while (removed > 0);
    assert.ok(forgotten >= 2);
    assert.equal(await reports.forgetNotificationsBefore(9_000, 100), 0);
    const again = await visits.recordVisit(
      'c1',
      countingVisit(
        [tnt('old-n')],
        [
          { notificationId: 'n-old-1', events: [shown('act-old', 'A')] },
          { notificationId: 'n-new', events: [shown('act-old', 'A')] },
        ],
        9_500,
      ),
    );
    assert.equal(again.replayedNotifications, 1, 'n-new is still remembered');
    assert.equal((await countsOf('c1', 'act-old'))[0]?.impressions, 4);
  });
}
