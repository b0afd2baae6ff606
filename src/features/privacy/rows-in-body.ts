import { isUtf8 } from 'node:buffer';
import { decodeKeyCell, keyNamesPerson, type PersonKeys } from '../batches/row-keys.js';
import type { BatchKeyColumn } from '../../wire/batch-reader.js';

const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;

/**
 * Longest key cell looked at. Ids are at most 256 characters, at most 12 bytes each when
 * percent-encoded (`%F0%9F%98%80` for a character of 2 UTF-16 units): a longer cell names nobody,
 * and skipping it keeps memory flat on a damaged body with a 50 MB first cell.
 */
const MAX_KEY_CELL_BYTES = 64 * 1024;

/**
 * Whether a stored batch body holds a data row naming the person (row-keys.ts): the key cell of
 * each data line — up to the first `,`, or the whole line — is percent-decoded as the processor
 * decodes it (`crm%2D1` is `crm-1`) and compared as an id of the batch's key column kind. Every
 * data line counts, also one the processor would refuse for its other cells. The header line is
 * not a row. The body is read piece by piece and only key cells are kept (bodies reach 50 MB,
 * lines are unbounded); a key cut by a piece boundary is still found. Reading stops at the first
 * match.
 */
export async function holdsRowOf(pieces: AsyncIterable<Buffer>, keyColumn: BatchKeyColumn, person: PersonKeys): Promise<boolean> {
  if (person.tntIds.length === 0 && person.thirdPartyIds.length === 0) return false;
  const names = (cell: Buffer) => {
    if (!isUtf8(cell)) return false;
    const key = decodeKeyCell(cell.toString('utf8'));
    return key !== null && keyNamesPerson(keyColumn, key, person);
  };
  /** Where the scan is: skipping to the end of a line (the header, a line's cells after its key), or in a key cell. */
  let inKey = false;
  let cell: Buffer[] = [];
  let cellBytes = 0;
  for await (const piece of pieces) {
    let at = 0;
    while (at < piece.length) {
      if (!inKey) {
        const lineEnd = piece.indexOf(LF, at);
        if (lineEnd === -1) break;
        at = lineEnd + 1;
        inKey = true;
        cell = [];
        cellBytes = 0;
        continue;
      }
      let end = at;
      while (end < piece.length && piece[end] !== COMMA && piece[end] !== LF) end++;
      if (cellBytes <= MAX_KEY_CELL_BYTES) {
        cell.push(piece.subarray(at, end));
        cellBytes += end - at;
      }
      if (end === piece.length) break; // the cell goes on in the next piece
      const endsLine = piece[end] === LF;
      let key = Buffer.concat(cell);
      // A line of a key only: its end may be CRLF.
      if (endsLine && key.length > 0 && key[key.length - 1] === CR) key = key.subarray(0, -1);
      if (cellBytes <= MAX_KEY_CELL_BYTES && names(key)) return true;
      cell = [];
      cellBytes = 0;
      // After a line of a key only, the next line starts a key at once; else skip to the line end.
      inKey = endsLine;
      at = endsLine ? end + 1 : end;
    }
  }
  // A last line of a key only, without a line end.
  return inKey && cellBytes > 0 && cellBytes <= MAX_KEY_CELL_BYTES && names(Buffer.concat(cell));
}
