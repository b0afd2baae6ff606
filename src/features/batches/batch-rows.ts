import type { Limits } from '../../config.js';
import { attributeValueProblem, type AttributeWrite } from '../../domain/attributes.js';
import { parseThirdPartyId, parseTntId, type VisitorIdRef } from '../../domain/identity.js';
import type { WriteOutcome } from '../../domain/profile-write.js';
import { BadRequestError } from '../../errors.js';
import type { BatchHeader, BatchRow } from '../../wire/batch-reader.js';
import type { ProfileWrite } from '../profiles/profiles-store.js';
import type { BatchCounters, ChunkRow, FailedRow } from './batches-store.js';

export interface RowContext {
  header: BatchHeader;
  limits: Limits;
  /** Builds the profile write of a row: the profile rules (expiry, 64 KB, modifiedAt) live in ProfilesService. */
  profileWrite: (writes: AttributeWrite[]) => ProfileWrite;
}

function keyOf(header: BatchHeader, key: string, limits: Limits): VisitorIdRef {
  if (header.keyColumn === 'pcId') {
    return { kind: 'tntId', value: parseTntId(key, 'pcId', limits.maxDeviceIdLength) };
  }
  return { kind: 'thirdPartyId', value: parseThirdPartyId(key, 'thirdPartyId', limits.maxThirdPartyIdLength) };
}

function failed(line: number, key: string, reason: string): ChunkRow {
  return { kind: 'failed', failure: { line, key, reason } };
}

/**
 * What one data row means (docs/wire-contract.md#6-bulk-profile-update): a failure with its
 * reason, nothing to do (every value empty), or a profile write. Attribute names were checked
 * once, on the header.
 */
export function planRow(row: Exclude<BatchRow, { kind: 'blank' }>, line: number, context: RowContext): ChunkRow {
  if (row.kind === 'malformed') return failed(line, row.key, row.reason);
  if (row.key === '') return failed(line, row.key, 'key is empty');
  let ref: VisitorIdRef;
  try {
    ref = keyOf(context.header, row.key, context.limits);
  } catch (err) {
    if (err instanceof BadRequestError) return failed(line, row.key, err.message);
    throw err;
  }
  const writes: AttributeWrite[] = [];
  const { attributes } = context.header;
  for (let i = 0; i < row.values.length; i++) {
    const value = row.values[i]!;
    if (value === '') continue;
    const problem = attributeValueProblem(attributes[i]!, value, context.limits.maxApiValueLength);
    if (problem) return failed(line, row.key, problem);
    writes.push({ name: attributes[i]!, value });
  }
  if (writes.length === 0) return { kind: 'unchanged' };
  return { kind: 'write', line, key: row.key, ref, write: context.profileWrite(writes) };
}

export interface ChunkTally extends Omit<BatchCounters, 'consumedCount'> {
  /** Failed rows to report, in line order. */
  failures: FailedRow[];
}

/**
 * The counters a chunk adds and the failed rows it reports, from its rows and what became of each
 * `write` row (`outcomes`, in the same order): a row refused by the write rules (over 64 KB) is a
 * failed row with the refusal's reason, an update-only row for an unknown key is "not found".
 */
export function tallyChunk(rows: readonly ChunkRow[], outcomes: readonly WriteOutcome[]): ChunkTally {
  const tally: ChunkTally = { successfulUpdates: 0, profilesNotFound: 0, failedUpdates: 0, failures: [] };
  let next = 0;
  for (const row of rows) {
    if (row.kind === 'failed') {
      tally.failures.push(row.failure);
      continue;
    }
    if (row.kind === 'unchanged') {
      tally.successfulUpdates++;
      continue;
    }
    const outcome = outcomes[next++];
    if (!outcome) throw new Error('a chunk row has no outcome');
    if (outcome.ok) tally.successfulUpdates++;
    else if (outcome.reason === 'not_found') tally.profilesNotFound++;
    else tally.failures.push({ line: row.line, key: row.key, reason: outcome.message });
  }
  if (next !== outcomes.length) throw new Error('more outcomes than write rows in a chunk');
  tally.failedUpdates = tally.failures.length;
  return tally;
}
