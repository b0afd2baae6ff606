/**
 * Whether a stored batch body holds a data row keyed by one of `keys`: a line that starts with
 * the key followed by `,` (the next column) or `.` (a location hint, `<key>.<cluster>_<node>`).
 * The body is read piece by piece, never whole (bodies reach 50 MB); a row start cut in two by a
 * piece boundary is still found.
 */
export async function holdsRowKeyedBy(pieces: AsyncIterable<Buffer>, keys: readonly string[]): Promise<boolean> {
  // Data lines follow the header line, so each one starts right after a line feed.
  const rowStarts = keys.flatMap((key) => [`\n${key},`, `\n${key}.`]).map((text) => Buffer.from(text));
  if (rowStarts.length === 0) return false;
  const overlap = Math.max(...rowStarts.map((start) => start.length)) - 1;
  let tail = Buffer.alloc(0);
  for await (const piece of pieces) {
    const window = Buffer.concat([tail, piece]);
    if (rowStarts.some((start) => window.includes(start))) return true;
    tail = window.subarray(Math.max(0, window.length - overlap));
  }
  return false;
}
