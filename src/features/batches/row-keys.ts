import { parseTntId } from '../../domain/identity.js';
import { BadRequestError } from '../../errors.js';
import type { BatchKeyColumn } from '../../wire/batch-reader.js';
import { decodeFormComponent, FormDecodeError } from '../../wire/form-params.js';

/**
 * Which person a bulk row's key names — for privacy requests (docs/wire-contract.md#10-privacy),
 * which must find a person's rows and nobody else's.
 *
 * The batch's key column gives the key its kind (docs/wire-contract.md#21-the-ids):
 * - in a `pcId` batch the key is a tntId: `abc` and `abc.28_20` (a location hint
 *   `.<cluster>_<node>`) are the same visitor; `abc.x` is no tntId at all, so nobody's;
 * - in a `thirdPartyId` batch the key is a thirdPartyId, exactly: a thirdPartyId never carries a
 *   location hint, so `crm-1.x` is another person than `crm-1`.
 * A tntId and a thirdPartyId of the same value are different people.
 */

/** A person's ids as bulk rows carry them: tntIds (without location hint) and thirdPartyIds. */
export interface PersonKeys {
  tntIds: readonly string[];
  thirdPartyIds: readonly string[];
}

/**
 * The reason the batch reader gives a row that is not valid UTF-8 (src/wire/batch-reader.ts): the
 * only failed row whose reported key is kept as sent, percent-encoded, although it may decode to a
 * person's id. (A key that does not decode is kept as sent too, and can name nobody.)
 */
export const ROW_NOT_UTF8_REASON = 'row is not valid UTF-8';

/** A key cell percent-decoded as the batch reader decodes it (docs/wire-contract.md#33-percent-decoding); null when it does not decode. */
export function decodeKeyCell(cell: string): string | null {
  try {
    return decodeFormComponent(cell);
  } catch (err) {
    if (err instanceof FormDecodeError) return null;
    throw err;
  }
}

/** Whether a decoded row key of a batch with this key column names one of the person's ids. */
export function keyNamesPerson(keyColumn: BatchKeyColumn, key: string, person: PersonKeys): boolean {
  if (keyColumn === 'thirdPartyId') return person.thirdPartyIds.includes(key);
  // Same visitor rule as the processor, without the length limit: a person's tntId plus a hint
  // may be longer than an id may be, and that row failed for it — it is still the person's row.
  let tntId: string;
  try {
    tntId = parseTntId(key, 'pcId', Number.POSITIVE_INFINITY);
  } catch (err) {
    if (err instanceof BadRequestError) return false;
    throw err;
  }
  return person.tntIds.includes(tntId);
}

/** Whether a failed-row record of a batch with this key column names the person. */
export function failedRowNamesPerson(keyColumn: BatchKeyColumn, failure: { key: string; reason: string }, person: PersonKeys): boolean {
  const key = failure.reason === ROW_NOT_UTF8_REASON ? decodeKeyCell(failure.key) : failure.key;
  return key !== null && keyNamesPerson(keyColumn, key, person);
}
