import fs from 'node:fs';
import { once } from 'node:events';

export interface BulkFileSpec {
  rows: number;
  attributes: number;
  /** Key column of the header; v2 creates these profiles. */
  keyColumn: 'pcId' | 'thirdPartyId';
}

export const BULK_FILE_DEFAULT: BulkFileSpec = { rows: 500_000, attributes: 10, keyColumn: 'pcId' };

/** The key of row `i`: 32 hex characters, like a minted tntId. */
export function bulkKey(i: number): string {
  return (i.toString(16).padStart(8, '0') + 'c0ffee00' + 'b0a7d00d' + 'feedface').slice(0, 32);
}

/** Value of attribute `a` in row `i`: some are percent-encoded (`%2C`, `%20`) as real exports are. */
export function bulkCell(i: number, a: number): string {
  switch (a % 4) {
    case 0:
      return `v${i % 9973}`;
    case 1:
      return `b%20${i % 5}`;
    case 2:
      return `${(i * 7919) % 100000}`;
    default:
      return `a%2C${i % 101}`;
  }
}

/**
 * Writes the benchmark's batch body to `file`, streaming (the file is never held in memory):
 * `batch=pcId,attr0..attrN-1`, then one row per profile. Returns its size in bytes.
 */
export async function writeBulkFile(file: string, spec: BulkFileSpec = BULK_FILE_DEFAULT): Promise<number> {
  const out = fs.createWriteStream(file);
  const names = Array.from({ length: spec.attributes }, (_, a) => `attr${a}`);
  let pending = `batch=${spec.keyColumn},${names.join(',')}\n`;
  for (let i = 0; i < spec.rows; i++) {
    let line = bulkKey(i);
    for (let a = 0; a < spec.attributes; a++) line += ',' + bulkCell(i, a);
    pending += line + '\n';
    if (pending.length > 1 << 20) {
      if (!out.write(pending)) await once(out, 'drain');
      pending = '';
    }
  }
  out.end(pending);
  await once(out, 'finish');
  return fs.statSync(file).size;
}
