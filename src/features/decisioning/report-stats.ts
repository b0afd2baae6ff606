/**
 * The statistics of an activity report: each experience against the control (the first
 * experience), for one metric, over distinct visitors — `visitors` who saw the experience and
 * `conversions`, how many of them converted (a visitor converts once per metric, so
 * conversions ≤ visitors).
 *
 * Methods, named so a reader can check them:
 * - **Significance: the pooled two-proportion z-test**, two-sided, at 5 %. z = (p₂ − p₁) / √(p(1 − p)
 *   (1/n₁ + 1/n₂)) with p the pooled rate; the p-value is 2·Φ(−|z|). It is the test the question
 *   "do the two rates differ?" calls for under the null hypothesis of one common rate.
 * - **Lift: the relative difference** p₂/p₁ − 1 (the variant converts 30 % more than the control),
 *   the figure Target reports.
 * - **Its 95 % interval: the delta method on the log of the rate ratio** (Katz's log interval):
 *   ln(p₂/p₁) ± 1.96·√((1 − p₁)/x₁ + (1 − p₂)/x₂), then back through exp(·) − 1. A ratio's sampling
 *   distribution is skewed; on the log scale it is close to normal, so this interval is asymmetric
 *   like the truth, never goes below −100 %, and keeps its 95 % coverage at realistic rates (a
 *   simulation test checks it). Rejected: the delta method on the raw ratio (symmetric, can cross
 *   −100 %, under-covers when the control's conversions are few) and a Wald interval on the
 *   difference divided by p₁ (ignores the control's own uncertainty).
 *   The interval and the test are different procedures: very near p = 0.05 one may say
 *   "significant" while the other just includes 0. The flag follows the test.
 * - **Too few visitors** while either side has fewer than 30 visitors, fewer than 5 conversions or
 *   fewer than 5 visitors who did not convert: below that the normal approximation both methods
 *   rest on is poor (the usual rule: at least 5 expected in each cell). Then nothing is called
 *   significant; the numbers are still given.
 */

export interface Arm {
  visitors: number;
  /** Visitors who converted (at most `visitors`). */
  conversions: number;
}

export interface Interval {
  lower: number;
  upper: number;
}

export interface Comparison {
  controlRate: number | null;
  variantRate: number | null;
  /** p₂/p₁ − 1; null while the control has no conversion. */
  lift: number | null;
  /** 95 % interval of the lift; null while either side has no conversion. */
  liftInterval: Interval | null;
  zScore: number | null;
  /** Two-sided; null while either side has no visitor. */
  pValue: number | null;
  significant: boolean;
  tooFewVisitors: boolean;
}

export const SIGNIFICANCE_LEVEL = 0.05;
export const MIN_VISITORS = 30;
export const MIN_CONVERSIONS = 5;
/** Φ⁻¹(0.975). */
const Z_95 = 1.959963984540054;

/**
 * Φ(x), the standard normal distribution function: absolute error below 1e-16, relative error below
 * 1e-8 even in the far tails
 * (Hart's 1968 rational approximation as given by G. West, "Better approximations to cumulative
 * normal functions", 2005).
 */
export function normalCdf(x: number): number {
  const z = Math.abs(x);
  let tail: number;
  if (z > 37) tail = 0;
  else {
    const e = Math.exp((-z * z) / 2);
    if (z < 7.07106781186547) {
      let n = 3.52624965998911e-2 * z + 0.700383064443688;
      n = n * z + 6.37396220353165;
      n = n * z + 33.912866078383;
      n = n * z + 112.079291497871;
      n = n * z + 221.213596169931;
      n = n * z + 220.206867912376;
      let d = 8.83883476483184e-2 * z + 1.75566716318264;
      d = d * z + 16.064177579207;
      d = d * z + 86.7807322029461;
      d = d * z + 296.564248779674;
      d = d * z + 637.333633378831;
      d = d * z + 793.826512519948;
      d = d * z + 440.413735824752;
      tail = (e * n) / d;
    } else {
      let d = z + 0.65;
      d = z + 4 / d;
      d = z + 3 / d;
      d = z + 2 / d;
      d = z + 1 / d;
      tail = e / d / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

function checkArm(arm: Arm, name: string): void {
  const { visitors, conversions } = arm;
  if (!Number.isSafeInteger(visitors) || !Number.isSafeInteger(conversions) || visitors < 0 || conversions < 0 || conversions > visitors) {
    throw new RangeError(`${name}: visitors and conversions must be whole numbers with 0 ≤ conversions ≤ visitors`);
  }
}

const rateOf = (arm: Arm): number | null => (arm.visitors === 0 ? null : arm.conversions / arm.visitors);

export function tooFewVisitors(arm: Arm): boolean {
  return arm.visitors < MIN_VISITORS || arm.conversions < MIN_CONVERSIONS || arm.visitors - arm.conversions < MIN_CONVERSIONS;
}

/** The variant against the control: rates, lift with its 95 % interval, z-test, flags. */
export function compareToControl(control: Arm, variant: Arm): Comparison {
  checkArm(control, 'control');
  checkArm(variant, 'variant');
  const p1 = rateOf(control);
  const p2 = rateOf(variant);
  const few = tooFewVisitors(control) || tooFewVisitors(variant);

  let zScore: number | null = null;
  let pValue: number | null = null;
  if (p1 !== null && p2 !== null) {
    const pooled = (control.conversions + variant.conversions) / (control.visitors + variant.visitors);
    const variance = pooled * (1 - pooled) * (1 / control.visitors + 1 / variant.visitors);
    if (variance > 0) {
      zScore = (p2 - p1) / Math.sqrt(variance);
      pValue = Math.min(1, 2 * normalCdf(-Math.abs(zScore)));
    } else {
      zScore = 0; // both sides all converted, or none did: no difference to see
      pValue = 1;
    }
  }

  const lift = p1 !== null && p2 !== null && p1 > 0 ? p2 / p1 - 1 : null;
  let liftInterval: Interval | null = null;
  if (lift !== null && control.conversions > 0 && variant.conversions > 0) {
    const logRatio = Math.log(p2! / p1!);
    const se = Math.sqrt((1 - p1!) / control.conversions + (1 - p2!) / variant.conversions);
    liftInterval = { lower: Math.exp(logRatio - Z_95 * se) - 1, upper: Math.exp(logRatio + Z_95 * se) - 1 };
  }

  return {
    controlRate: p1,
    variantRate: p2,
    lift,
    liftInterval,
    zScore,
    pValue,
    significant: !few && pValue !== null && pValue < SIGNIFICANCE_LEVEL,
    tooFewVisitors: few,
  };
}
