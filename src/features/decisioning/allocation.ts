/**
 * Traffic allocation, hashed exactly as Adobe's on-device decisioning engine hashes it, so that a
 * visitor lands in the same experience whether Adobe's SDK decides on the device (from an artifact
 * this server publishes) or this server decides.
 *
 * The rule, as the engine implements it:
 * - the visitor id is the first non-empty of `marketingCloudVisitorId`, the `tntId` up to its first
 *   `.` (the location hint `.28_0` is not part of it), `thirdPartyId`;
 * - the device id is `<client>.<activityId>.<visitorId>.0` (`0` is the campaign salt);
 * - the hash is MurmurHash3 x86 32-bit, seed 0, over the UTF-16 code units of the device id taken
 *   two per 32-bit block (Java's Guava `hashUnencodedChars`; the length mixed in is in bytes);
 * - the bucket is `|hash| % 10000`, i.e. an allocation value of 0.00–99.99 (percent, 2 decimals).
 *
 * Nothing here is random or stored: the same ids give the same bucket on every node and every day.
 * A visitor whose ids change (an ECID appears at login) may change bucket, exactly as on Adobe.
 */

/** The ids of a visitor that allocation may use. */
export interface AllocationIds {
  marketingCloudVisitorId?: string | undefined;
  tntId?: string | undefined;
  thirdPartyId?: string | undefined;
}

const TOTAL_BUCKETS = 10_000;
const CAMPAIGN_BUCKET_SALT = '0';

/**
 * The id allocation hashes, or undefined when the visitor has none (the caller then uses the tntId
 * it mints for the visitor, as the SDK does).
 */
export function allocationVisitorId(ids: AllocationIds): string | undefined {
  if (ids.marketingCloudVisitorId) return ids.marketingCloudVisitorId;
  const tntId = typeof ids.tntId === 'string' ? ids.tntId.split('.')[0] : undefined;
  if (tntId) return tntId;
  if (ids.thirdPartyId) return ids.thirdPartyId;
  return undefined;
}

/** MurmurHash3 x86 32-bit over UTF-16 code units, two per block; signed 32-bit result. */
export function hashUnencodedChars(value: string, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const length = value.length;
  const roundedEnd = length & ~1;
  let h1 = seed | 0;
  for (let i = 0; i < roundedEnd; i += 2) {
    let k1 = value.charCodeAt(i) | (value.charCodeAt(i + 1) << 16);
    k1 = Math.imul(k1, c1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, c2);
    h1 ^= k1;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
  }
  if (length % 2 === 1) {
    let k1 = value.charCodeAt(roundedEnd);
    k1 = Math.imul(k1, c1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, c2);
    h1 ^= k1;
  }
  h1 ^= length << 1;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 | 0;
}

/** The visitor's bucket in an activity as a whole number of hundredths of a percent, 0–9999. */
export function allocationBucket(client: string, activityId: string, visitorId: string): number {
  return Math.abs(hashUnencodedChars(`${client}.${activityId}.${visitorId}.${CAMPAIGN_BUCKET_SALT}`)) % TOTAL_BUCKETS;
}

/**
 * The allocation value the engine puts in its decision context as `allocation`: the bucket in
 * percent with two decimals, computed with the engine's own arithmetic so that conditions of an
 * imported artifact compare the very same number.
 */
export function allocationValue(client: string, activityId: string, visitorId: string): number {
  const bucket = allocationBucket(client, activityId, visitorId);
  return Math.round((bucket / TOTAL_BUCKETS) * 100 * 100) / 100;
}

/** The buckets an experience receives: `from` ≤ bucket < `to`, in hundredths of a percent. */
export interface BucketRange {
  from: number;
  to: number;
}

/**
 * Splits the buckets 0–9999 among experiences in their order by their percentages (which sum to
 * 100, in steps of 0.01): experience i gets the half-open range [sum of the previous, that + its
 * own). Computed in whole hundredths, so 33.33 + 33.33 + 33.34 covers every bucket exactly once and
 * no floating-point sum decides a boundary. An experience with 0 % gets an empty range.
 */
export function bucketRanges(percentages: readonly number[]): BucketRange[] {
  const ranges: BucketRange[] = [];
  let from = 0;
  for (const percentage of percentages) {
    const to = from + Math.round(percentage * 100);
    ranges.push({ from, to });
    from = to;
  }
  return ranges;
}

/** Index of the range holding the bucket, or -1 when none does (only if the ranges do not cover 0–9999). */
export function rangeIndexOf(ranges: readonly BucketRange[], bucket: number): number {
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i]!;
    if (bucket >= range.from && bucket < range.to) return i;
  }
  return -1;
}

/**
 * The same range as a JsonLogic condition over the engine's `allocation` variable (percent, two
 * decimals), for artifacts this server publishes: `from/100 <= allocation < to/100`. Bucket b is
 * the double b/100 on both sides, so the comparison is exact.
 */
export function allocationCondition(range: BucketRange): Record<string, unknown> {
  return {
    and: [{ '<=': [range.from / 100, { var: 'allocation' }] }, { '<': [{ var: 'allocation' }, range.to / 100] }],
  };
}
