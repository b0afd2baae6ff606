import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  artifactOf,
  createEngine,
  type EngineRule,
  tracedContexts,
  oracleRuns,
  networkAttempts,
} from '../../../test/support/decisioning-engine.js';
import {
  type AllocationIds,
  allocationBucket,
  allocationCondition,
  allocationValue,
  allocationVisitorId,
  bucketRanges,
  hashUnencodedChars,
  rangeIndexOf,
} from './allocation.js';

/** Any string of UTF-16 code units, lone surrogates included: the hash reads code units. */
const codeUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((units) => String.fromCharCode(...units));
const ecid = fc.stringMatching(/^[0-9]{38}$/);
const tntId = fc.oneof(
  fc.uuid().map((id) => id.replaceAll('-', '')),
  fc.tuple(fc.uuid(), fc.integer({ min: 1, max: 99 })).map(([id, hint]) => `${id.replaceAll('-', '')}.${hint}_0`),
  fc.string({ maxLength: 12 }),
);
const visitorIds: fc.Arbitrary<AllocationIds> = fc.record(
  {
    marketingCloudVisitorId: fc.oneof(ecid, fc.constant(''), codeUnits),
    tntId: fc.oneof(tntId, fc.constant(''), codeUnits),
    thirdPartyId: fc.oneof(fc.emailAddress(), fc.constant(''), codeUnits),
  },
  { requiredKeys: [] },
);
// The engine's trace keys activities by id in a plain object: a name of Object.prototype breaks it.
const activityIds = fc
  .oneof(fc.integer({ min: 1, max: 999_999 }).map(String), fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/))
  .filter((id) => !(id in Object.prototype));

function silentRule(activityId: string, mbox: string): EngineRule {
  return {
    ruleKey: `${activityId}-${mbox}`,
    activityId,
    condition: false,
    consequence: { name: mbox, options: [{ type: 'html', content: 'x' }], metrics: [] },
    meta: { 'activity.id': activityId, 'experience.id': '0', 'audience.ids': [] },
  };
}

describe('allocation', () => {
  test('MurmurHash3 x86 32-bit over UTF-16 code units gives the reference hashes', () => {
    // Values of Adobe's implementation (the engine's `hashUnencodedChars`), the same as Guava's.
    assert.equal(hashUnencodedChars(''), 0);
    assert.equal(hashUnencodedChars('a'), 1867108634);
    assert.equal(hashUnencodedChars('ab'), 374890698);
    assert.equal(hashUnencodedChars('abc'), 1118836419);
    assert.equal(hashUnencodedChars('someClientId.125901.338e3c1e51f7416a8e1ccba4f81acea0.0'), -2045957323);
    assert.equal(hashUnencodedChars('é€😀'), -1823455296, 'a surrogate pair is two code units');
    assert.equal(allocationBucket('someClientId', '125901', '338e3c1e51f7416a8e1ccba4f81acea0'), 2045957323 % 10_000);
  });

  test('the visitor id is the ECID, else the tntId without its location hint, else the thirdPartyId', () => {
    assert.equal(allocationVisitorId({ marketingCloudVisitorId: 'E', tntId: 'T.28_0', thirdPartyId: 'P' }), 'E');
    assert.equal(allocationVisitorId({ marketingCloudVisitorId: '', tntId: 'T.28_0', thirdPartyId: 'P' }), 'T');
    assert.equal(allocationVisitorId({ tntId: '.28_0', thirdPartyId: 'P' }), 'P');
    assert.equal(allocationVisitorId({ thirdPartyId: 'P' }), 'P');
    assert.equal(allocationVisitorId({}), undefined);
  });

  test('percentages split the 10,000 buckets in whole hundredths, each bucket exactly once', () => {
    const ranges = bucketRanges([33.33, 33.33, 33.34]);
    assert.deepEqual(ranges, [
      { from: 0, to: 3333 },
      { from: 3333, to: 6666 },
      { from: 6666, to: 10000 },
    ]);
    assert.equal(rangeIndexOf(ranges, 0), 0);
    assert.equal(rangeIndexOf(ranges, 3332), 0);
    assert.equal(rangeIndexOf(ranges, 3333), 1);
    assert.equal(rangeIndexOf(ranges, 9999), 2);
    assert.deepEqual(bucketRanges([0, 100]), [
      { from: 0, to: 0 },
      { from: 0, to: 10000 },
    ]);
    assert.equal(rangeIndexOf(bucketRanges([0, 100]), 0), 1, 'a 0 % experience gets no bucket, not even bucket 0');
  });

  test('the bucket and the allocation value are the same number: value = bucket / 100 for every bucket', () => {
    fc.assert(
      fc.property(fc.string(), activityIds, fc.string({ minLength: 1 }), (client, activityId, visitorId) => {
        assert.equal(allocationValue(client, activityId, visitorId), allocationBucket(client, activityId, visitorId) / 100);
      }),
    );
  });

  test("the published allocation condition selects exactly the range's buckets under the engine's arithmetic", () => {
    const ranges = bucketRanges([12.34, 50, 37.66]);
    for (let bucket = 0; bucket < 10_000; bucket++) {
      const value = Math.round((bucket / 10_000) * 100 * 100) / 100;
      const matching = ranges.flatMap((range, index) => {
        const [low, high] = (allocationCondition(range) as { and: [{ '<=': [number] }, { '<': [unknown, number] }] }).and;
        return low['<='][0] <= value && value < high['<'][1] ? [index] : [];
      });
      assert.deepEqual(matching, [rangeIndexOf(ranges, bucket)], `bucket ${bucket}`);
    }
  });

  test("thousands of visitors land in the engine's own allocation, read from its trace", async () => {
    const client = 'acmeclient';
    const activities = ['125901', '8', 'spring-hero_2026'];
    const engine = await createEngine(
      client,
      artifactOf(client, { mboxes: Object.fromEntries(activities.map((id, i) => [`m${i}`, [silentRule(id, `m${i}`)]])) }),
    );
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(visitorIds, async (ids) => {
        const visitorId = allocationVisitorId(ids);
        fc.pre(visitorId !== undefined); // without any id the engine hashes a random uuid
        const response = await engine.getOffers({
          id: ids,
          context: { channel: 'web' },
          trace: { authorizationToken: 'token' },
          execute: { mboxes: activities.map((_, i) => ({ index: i, name: `m${i}` })) },
        });
        const traced = tracedContexts(response);
        for (const activityId of activities) {
          assert.equal(traced.get(activityId)?.allocation, allocationValue(client, activityId, visitorId!), `${activityId} ${visitorId}`);
          compared++;
        }
      }),
      { numRuns: oracleRuns(3000) },
    );
    assert.ok(compared >= 2 * oracleRuns(3000), `${compared} allocations compared`);
  });

  test('the hash of arbitrary ids and activity ids equals the engine’s, activity id by activity id', async () => {
    const client = 'someClientId';
    await fc.assert(
      fc.asyncProperty(activityIds, fc.oneof(codeUnits, fc.uuid()), async (activityId, visitorId) => {
        fc.pre(visitorId !== '' && !visitorId.includes('.'));
        const engine = await createEngine(client, artifactOf(client, { mboxes: { m: [silentRule(activityId, 'm')] } }));
        const response = await engine.getOffers({
          id: { tntId: visitorId },
          context: { channel: 'web' },
          trace: { authorizationToken: 'token' },
          execute: { mboxes: [{ index: 0, name: 'm' }] },
        });
        assert.equal(tracedContexts(response).get(activityId)?.allocation, allocationValue(client, activityId, visitorId));
      }),
      { numRuns: oracleRuns(300) },
    );
  });
});

after(() => assert.deepEqual(networkAttempts, [], 'the engine never reached the network'));
