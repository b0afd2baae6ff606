import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allocationBucket } from './allocation.js';
import { type Arm, compareToControl, normalCdf } from './report-stats.js';

const close = (actual: number | null | undefined, expected: number, tolerance = 1e-9) =>
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) <= tolerance, `${actual} ≉ ${expected}`);

/** A small seeded generator (mulberry32): the simulations are the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An experiment: visitors split by the activity's real allocation hash, converting at each side's rate. */
function experiment(visitors: number, rates: [number, number], random: () => number, activityId = 'sim'): [Arm, Arm] {
  const arms: [Arm, Arm] = [
    { visitors: 0, conversions: 0 },
    { visitors: 0, conversions: 0 },
  ];
  const salt = Math.floor(random() * 1e9);
  for (let i = 0; i < visitors; i++) {
    const side = allocationBucket('simclient', activityId, `visitor-${salt}-${i}`) < 5000 ? 0 : 1;
    arms[side].visitors++;
    if (random() < rates[side]) arms[side].conversions++;
  }
  return arms;
}

describe('report statistics', () => {
  test('Φ matches reference values, tails included', () => {
    close(normalCdf(0), 0.5, 1e-15);
    close(normalCdf(-1), 0.15865525393145707, 1e-14);
    close(normalCdf(-1.959963984540054), 0.025, 1e-14);
    close(normalCdf(-3), 0.0013498980316300957, 1e-15);
    close(normalCdf(-6), 9.865876450377012e-10, 1e-18);
    close(normalCdf(-10) / 7.619853024160593e-24, 1, 1e-8);
    close(normalCdf(2), 1 - normalCdf(-2), 1e-15);
  });

  test('hand-computed: 100 of 1,000 against 130 of 1,000 is a significant 30 % lift', () => {
    const result = compareToControl({ visitors: 1000, conversions: 100 }, { visitors: 1000, conversions: 130 });
    // pooled p = 0.115, se = √(0.115 · 0.885 · 0.002) = 0.014267, z = 0.03 / se
    close(result.zScore, 2.102740605622114, 1e-12);
    close(result.pValue, 0.03548845046647473, 1e-12);
    close(result.lift, 0.3, 1e-12);
    // ln 1.3 ± 1.96 · √(0.9/100 + 0.87/130)
    close(result.liftInterval?.lower, 0.01698427097104549, 1e-12);
    close(result.liftInterval?.upper, 0.6617759470226023, 1e-12);
    assert.equal(result.significant, true);
    assert.equal(result.tooFewVisitors, false);
  });

  test('hand-computed: a small drop that the data cannot tell from chance', () => {
    const result = compareToControl({ visitors: 200, conversions: 20 }, { visitors: 220, conversions: 18 });
    close(result.lift, -0.18181818181818188, 1e-12);
    close(result.zScore, -0.6487312430869647, 1e-12);
    close(result.pValue, 0.5165121062495834, 1e-12);
    close(result.liftInterval?.lower, -0.5542403049887796, 1e-12);
    close(result.liftInterval?.upper, 0.501754185259965, 1e-12);
    assert.equal(result.significant, false);
  });

  test('too few visitors: under 30 a side, or under 5 conversions or non-conversions; never significant then', () => {
    assert.equal(compareToControl({ visitors: 29, conversions: 10 }, { visitors: 500, conversions: 100 }).tooFewVisitors, true);
    assert.equal(compareToControl({ visitors: 500, conversions: 4 }, { visitors: 500, conversions: 100 }).tooFewVisitors, true);
    assert.equal(compareToControl({ visitors: 500, conversions: 496 }, { visitors: 500, conversions: 100 }).tooFewVisitors, true);
    const early = compareToControl({ visitors: 500, conversions: 4 }, { visitors: 500, conversions: 100 });
    assert.ok(early.pValue! < 1e-10, 'the test itself is extreme');
    assert.equal(early.significant, false, 'but not trusted with so few conversions');
    assert.equal(
      compareToControl({ visitors: 30, conversions: 5 }, { visitors: 30, conversions: 25 }).tooFewVisitors,
      false,
      'the threshold itself is enough',
    );
  });

  test('edge cases: no visitors, no conversions, everybody converting', () => {
    const none = compareToControl({ visitors: 0, conversions: 0 }, { visitors: 10, conversions: 1 });
    assert.deepEqual([none.controlRate, none.lift, none.pValue, none.significant], [null, null, null, false]);
    const zero = compareToControl({ visitors: 100, conversions: 0 }, { visitors: 100, conversions: 0 });
    assert.deepEqual([zero.lift, zero.zScore, zero.pValue, zero.liftInterval], [null, 0, 1, null]);
    const all = compareToControl({ visitors: 100, conversions: 100 }, { visitors: 100, conversions: 100 });
    assert.deepEqual([all.lift, all.pValue], [0, 1]);
    assert.throws(() => compareToControl({ visitors: 10, conversions: 11 }, { visitors: 10, conversions: 1 }), RangeError);
  });

  test('2,000 visitors: B converting at twice A’s rate is a significant lift; equal rates are not', (t) => {
    const [a, b] = experiment(2000, [0.05, 0.1], seeded(2026));
    const doubled = compareToControl(a, b);
    assert.equal(doubled.significant, true, JSON.stringify({ a, b, doubled }));
    assert.ok(doubled.liftInterval!.lower > 0, `the interval excludes no lift: ${JSON.stringify(doubled)}`);

    const [c, d] = experiment(2000, [0.05, 0.05], seeded(2027));
    const equal = compareToControl(c, d);
    assert.equal(equal.significant, false, JSON.stringify({ c, d, equal }));
    assert.ok(equal.liftInterval!.lower < 0 && equal.liftInterval!.upper > 0);
    const show = (x: Arm, y: Arm, r: typeof equal) =>
      `A ${x.conversions}/${x.visitors}, B ${y.conversions}/${y.visitors}: lift ${(r.lift! * 100).toFixed(1)} % [${(r.liftInterval!.lower * 100).toFixed(1)}, ${(r.liftInterval!.upper * 100).toFixed(1)}], p ${r.pValue!.toPrecision(2)}`;
    t.diagnostic(`twice the rate: ${show(a, b, doubled)}; equal rates: ${show(c, d, equal)}`);
  });

  test('over 400 simulated experiments: about 5 % false positives, high power, about 95 % interval coverage', (t) => {
    const random = seeded(7);
    let falsePositives = 0;
    let detected = 0;
    let covered = 0;
    const runs = 400;
    for (let i = 0; i < runs; i++) {
      const [a, b] = experiment(2000, [0.1, 0.1], random, `null-${i}`);
      if (compareToControl(a, b).significant) falsePositives++;
      const [c, d] = experiment(2000, [0.1, 0.15], random, `lift-${i}`);
      const result = compareToControl(c, d);
      if (result.significant) detected++;
      if (result.liftInterval!.lower <= 0.5 && 0.5 <= result.liftInterval!.upper) covered++;
    }
    t.diagnostic(`${falsePositives}/${runs} false positives, ${detected}/${runs} true lifts found, ${covered}/${runs} intervals covering`);
    assert.ok(falsePositives >= 0.01 * runs && falsePositives <= 0.09 * runs, `${falsePositives} false positives in ${runs}`);
    assert.ok(detected >= 0.85 * runs, `power: ${detected} of ${runs} true 50 % lifts found`);
    assert.ok(covered >= 0.92 * runs && covered <= 0.98 * runs, `coverage: ${covered} of ${runs} intervals hold the true lift`);
  });
});
