import { isUtf8 } from 'node:buffer';
import { formDecode, truncateForMessage } from './form-params.js';

/**
 * Target's bulk profile body (docs/wire-contract.md#6-bulk-profile-update), as pure functions from
 * bytes to values:
 *
 *   batch=pcId,name1,name2      ← line 1: `batch=`, then the key column and attribute names
 *   abc,value1,value%2C2        ← one profile per line; each `,`-separated cell URL-decoded
 *
 * Cells are decoded as forms are (src/wire/form-params.ts: WHATWG form decoding, `+` is a space,
 * a stray `%` stays literal); only a cell that is not valid UTF-8 once decoded is refused.
 * The body is never read as a generic form: `&` and `=` inside a line are data. There is no CSV
 * quoting. LF or CRLF, a UTF-8 BOM and a trailing newline are accepted. This module only knows
 * the syntax; what a key or value may hold is decided by the batches feature.
 */
export const BATCH_PREFIX = 'batch=';
export const KEY_COLUMNS = ['pcId', 'thirdPartyId'] as const;
export type BatchKeyColumn = (typeof KEY_COLUMNS)[number];

export interface BatchHeader {
  keyColumn: BatchKeyColumn;
  /** Decoded attribute names, in column order. */
  attributes: string[];
}

/** Why a whole batch is refused (nothing applied): bad prefix, bad header, empty. */
export class BatchFormatError extends Error {
  constructor(
    message: string,
    readonly code: 'missing_prefix' | 'bad_header' | 'empty_batch',
  ) {
    super(message);
    this.name = 'BatchFormatError';
  }
}

/** One data line, read for syntax only. `values` has one entry per attribute column ('' = no value). */
export type BatchRow =
  | { kind: 'blank' }
  | { kind: 'row'; key: string; values: string[] }
  | { kind: 'malformed'; key: string; reason: string };

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const PREFIX_BYTES = Buffer.from(BATCH_PREFIX);

function stripBom(bytes: Buffer): Buffer {
  return bytes.subarray(0, 3).equals(BOM) ? bytes.subarray(3) : bytes;
}

/** Limits on line 1, checked before it is decoded or split (Limits.maxBatchHeaderBytes, maxBatchColumns). */
export interface HeaderLimits {
  maxBytes: number;
  /** Attribute columns after the key column. */
  maxColumns: number;
}

/** Whether `bytes` holds more than `max` commas, counted without decoding or splitting (stops at max + 1). */
function commasOver(bytes: Buffer, max: number): boolean {
  let commas = 0;
  for (let at = bytes.indexOf(44); at !== -1; at = bytes.indexOf(44, at + 1)) if (++commas > max) return true;
  return false;
}

const NO_HEADER_LIMITS: HeaderLimits = { maxBytes: Number.POSITIVE_INFINITY, maxColumns: Number.POSITIVE_INFINITY };

export function headerTooLong(maxBytes: number): BatchFormatError {
  return new BatchFormatError(`Header row is longer than the ${maxBytes}-byte limit`, 'bad_header');
}

/**
 * Reads line 1 (without its line end). `requirePrefix` is false for a multipart file field, whose
 * field already plays the role of `batch=`; the prefix is still accepted there. A BOM is accepted
 * before and after `batch=` (a spreadsheet export appended to a `batch=` line).
 */
export function readHeaderLine(lineBytes: Buffer, requirePrefix = true, limits: HeaderLimits = NO_HEADER_LIMITS): BatchHeader {
  // Both limits are checked on the bytes, before anything is decoded or split: a header of
  // millions of commas must cost one scan, not millions of cells.
  if (lineBytes.length > limits.maxBytes) throw headerTooLong(limits.maxBytes);
  if (commasOver(lineBytes, limits.maxColumns)) {
    throw new BatchFormatError(`Header row has more than the ${limits.maxColumns}-attribute-column limit`, 'bad_header');
  }
  let bytes = stripBom(lineBytes);
  if (bytes.subarray(0, PREFIX_BYTES.length).equals(PREFIX_BYTES)) {
    bytes = stripBom(bytes.subarray(PREFIX_BYTES.length));
  } else if (requirePrefix) {
    throw new BatchFormatError(`Batch body must start with '${BATCH_PREFIX}' followed by the header row`, 'missing_prefix');
  }
  if (!isUtf8(bytes)) throw new BatchFormatError('Header row is not valid UTF-8', 'bad_header');
  const cells = bytes.toString('utf8').split(',');
  const names = cells.map((cell, index) => {
    const name = formDecode(cell);
    if (name === null) {
      throw new BatchFormatError(
        `Header column ${index + 1} is not valid UTF-8 once percent-decoded: '${truncateForMessage(cell)}'`,
        'bad_header',
      );
    }
    return name;
  });
  const keyColumn = names[0]!;
  if (!(KEY_COLUMNS as readonly string[]).includes(keyColumn)) {
    throw new BatchFormatError(`Header row must start with pcId or thirdPartyId, found '${truncateForMessage(keyColumn)}'`, 'bad_header');
  }
  const attributes = names.slice(1);
  if (attributes.length === 0) {
    throw new BatchFormatError('Header row names no attribute columns after the key column', 'bad_header');
  }
  const seen = new Set<string>();
  attributes.forEach((name, index) => {
    if (name === '') throw new BatchFormatError(`Header column ${index + 2} has an empty name`, 'bad_header');
    if (name === keyColumn || seen.has(name)) {
      throw new BatchFormatError(`Header column '${truncateForMessage(name)}' appears more than once`, 'bad_header');
    }
    seen.add(name);
  });
  return { keyColumn: keyColumn as BatchKeyColumn, attributes };
}

/** Reads one data line (without its line end). Never throws: bad rows come back as `malformed`. */
export function readDataLine(lineBytes: Buffer, attributeCount: number): BatchRow {
  if (lineBytes.length === 0) return { kind: 'blank' };
  if (!isUtf8(lineBytes)) {
    return { kind: 'malformed', key: rawKeyOf(lineBytes.toString('utf8')), reason: 'row is not valid UTF-8' };
  }
  // Cells are counted on the bytes first: a line of a million commas is one failed row, never a
  // million strings.
  let commas = 0;
  for (let at = lineBytes.indexOf(44); at !== -1; at = lineBytes.indexOf(44, at + 1)) commas++;
  const firstComma = lineBytes.indexOf(44);
  const rawKey = lineBytes.toString('utf8', 0, firstComma === -1 ? lineBytes.length : firstComma);
  const key = formDecode(rawKey);
  if (key === null) {
    return { kind: 'malformed', key: rawKey, reason: `key is not valid UTF-8 once percent-decoded: '${truncateForMessage(rawKey)}'` };
  }
  if (commas > attributeCount) {
    return {
      kind: 'malformed',
      key,
      reason: `row has ${commas + 1} cells but the header names ${attributeCount + 1} columns`,
    };
  }
  const cells = lineBytes.toString('utf8').split(',');
  const values = new Array<string>(attributeCount).fill('');
  for (let i = 1; i < cells.length; i++) {
    const value = formDecode(cells[i]!);
    if (value === null) {
      return {
        kind: 'malformed',
        key,
        reason: `column ${i + 1} is not valid UTF-8 once percent-decoded: '${truncateForMessage(cells[i]!)}'`,
      };
    }
    values[i - 1] = value;
  }
  return { kind: 'row', key, values };
}

function rawKeyOf(text: string): string {
  const comma = text.indexOf(',');
  return truncateForMessage(comma === -1 ? text : text.slice(0, comma), 256);
}

/** A line as the splitter hands it out: bytes without `\n`/`\r\n`, its number, where the next line starts. */
export interface SplitLine {
  bytes: Buffer;
  number: number;
  nextOffset: number;
}

/**
 * Splits a byte stream into lines without decoding it, tracking absolute byte offsets so that a
 * reader can stop after any line and resume there later (the batch cursor). Pull-style: `push`
 * bytes, take lines with `next()` until it answers null, `end()` when the input is finished.
 */
export class LineSplitter {
  /** Earlier pieces of a line whose end has not arrived yet (none holds a `\n`). */
  private parts: Buffer[] = [];
  private partsLength = 0;
  private buffer: Buffer = Buffer.alloc(0);
  private pos = 0;
  private ended = false;

  constructor(
    /** Absolute offset of the first byte that will be pushed. */
    private offset = 0,
    private lineNumber = 1,
  ) {}

  push(chunk: Buffer): void {
    // Normally `next()` has answered null, so the buffer is consumed; copying is only needed when
    // a caller pushes before draining.
    this.buffer = this.pos < this.buffer.length ? Buffer.concat([this.buffer.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
  }

  end(): void {
    this.ended = true;
  }

  /** Bytes pushed but not yet handed out as a line (a line still waiting for its end). */
  get pendingBytes(): number {
    return this.partsLength + this.buffer.length - this.pos;
  }

  next(): SplitLine | null {
    const newline = this.buffer.indexOf(10, this.pos);
    if (newline === -1) {
      if (this.pos < this.buffer.length) {
        // Keep the unfinished line's piece aside instead of re-copying it on every push.
        this.parts.push(this.buffer.subarray(this.pos));
        this.partsLength += this.buffer.length - this.pos;
        this.buffer = Buffer.alloc(0);
        this.pos = 0;
      }
      if (!this.ended || this.partsLength === 0) return null;
      return this.emit(this.takeParts(), false);
    }
    let bytes = this.buffer.subarray(this.pos, newline);
    this.pos = newline + 1;
    if (this.partsLength > 0) bytes = Buffer.concat([this.takeParts(), bytes]);
    return this.emit(bytes, true);
  }

  private takeParts(): Buffer {
    const joined = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partsLength);
    this.parts = [];
    this.partsLength = 0;
    return joined;
  }

  private emit(content: Buffer, endsWithNewline: boolean): SplitLine {
    this.offset += content.length + (endsWithNewline ? 1 : 0);
    const bytes = endsWithNewline && content.length > 0 && content[content.length - 1] === 13 ? content.subarray(0, -1) : content;
    return { bytes, number: this.lineNumber++, nextOffset: this.offset };
  }
}

/** A whole body at once (tests, small inputs). Throws only BatchFormatError. */
export function readBatch(body: Buffer, requirePrefix = true): { header: BatchHeader; rows: Array<BatchRow & { line: number }> } {
  const splitter = new LineSplitter();
  splitter.push(body);
  splitter.end();
  const first = splitter.next();
  if (!first) throw new BatchFormatError(`Batch body must start with '${BATCH_PREFIX}' followed by the header row`, 'missing_prefix');
  const header = readHeaderLine(first.bytes, requirePrefix);
  const rows: Array<BatchRow & { line: number }> = [];
  for (let line = splitter.next(); line; line = splitter.next()) {
    const row = readDataLine(line.bytes, header.attributes.length);
    if (row.kind !== 'blank') rows.push({ ...row, line: line.number });
  }
  if (rows.length === 0) throw new BatchFormatError('Batch is empty: no data rows after the header', 'empty_batch');
  return { header, rows };
}

/** Encodes one cell the way Target asks (UTF-8 percent-encoding); `,` `%` `+` `&` `=` are all encoded. */
export function encodeBatchCell(value: string): string {
  return encodeURIComponent(value);
}

/** Writes a batch body (tests, the benchmark, tools). Rows are `[key, ...values]`. */
export function encodeBatch(header: BatchHeader, rows: ReadonlyArray<readonly string[]>, lineEnd = '\n'): string {
  const lines = [BATCH_PREFIX + [header.keyColumn, ...header.attributes].map(encodeBatchCell).join(',')];
  for (const row of rows) lines.push(row.map(encodeBatchCell).join(','));
  return lines.join(lineEnd) + lineEnd;
}
