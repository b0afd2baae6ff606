import { finished } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { PgClient } from './database.js';

/** One cell of PostgreSQL's COPY text format: backslash escapes for the separators, `\N` for null. */
function copyCell(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return value.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/** Streams rows into `table (columns)` with one COPY: the set-based way in for many rows. */
export async function copyRows(
  db: PgClient,
  table: string,
  columns: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number | null>>,
): Promise<void> {
  if (rows.length === 0) return;
  const stream = db.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  let text = '';
  for (const row of rows) text += row.map(copyCell).join('\t') + '\n';
  stream.end(Buffer.from(text, 'utf8'));
  await finished(stream);
}
