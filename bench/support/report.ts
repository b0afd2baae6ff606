/**
 * Pure formatting for benchmark reports: every bench script prints one Markdown section, and
 * these helpers keep the sections alike.
 */

export type Align = 'left' | 'right';

/** Escapes what would break a table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * A GitHub-flavoured Markdown table, padded so it also reads well as plain text.
 * `align` defaults to left for the first column and right for the others (figures).
 */
export function markdownTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, align?: readonly Align[]): string {
  const columns = headers.length;
  for (const [index, row] of rows.entries()) {
    if (row.length !== columns) throw new Error(`row ${index} has ${row.length} cells, the header ${columns}`);
  }
  const alignOf = (column: number): Align => align?.[column] ?? (column === 0 ? 'left' : 'right');
  const body = [headers, ...rows].map((row) => row.map(cell));
  const widths = headers.map((_, column) => Math.max(3, ...body.map((row) => row[column]!.length)));
  const pad = (text: string, column: number) =>
    alignOf(column) === 'right' ? text.padStart(widths[column]!) : text.padEnd(widths[column]!);
  const line = (row: readonly string[]) => `| ${row.map(pad).join(' | ')} |`;
  const rule = `| ${widths.map((width, column) => (alignOf(column) === 'right' ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width))).join(' | ')} |`;
  return [line(body[0]!), rule, ...body.slice(1).map(line)].join('\n');
}

/** 12345.6 → "12,346" */
export function formatRate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString('en-US');
}

/** 3 → "3 ms", 0.25 → "0.25 ms" */
export function formatMs(ms: number): string {
  return `${Number.isInteger(ms) ? ms : ms.toFixed(2)} ms`;
}

/** 0.4267 → "0.43×" */
export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(2)}×`;
}

/** Bytes as MiB with one decimal; "n/a" when unknown. */
export function formatMiB(bytes: number | null): string {
  return bytes === null ? 'n/a' : `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Cores used by the server, the load generator and everything else: "0.98 / 0.85 / 0.05". */
export function formatCpu(cpu: { server: number; loadGenerator: number; others: number } | null): string {
  return cpu === null ? 'n/a' : [cpu.server, cpu.loadGenerator, cpu.others].map((cores) => cores.toFixed(2)).join(' / ');
}

/** Rate relative to the baseline; 0 when the baseline is 0 (a broken run, reported elsewhere). */
export function ratioTo(baselinePerSecond: number, perSecond: number): number {
  return baselinePerSecond > 0 ? perSecond / baselinePerSecond : 0;
}

export interface Aim {
  name: string;
  /** Least acceptable rate as a fraction of the baseline. */
  minRatio: number;
  /** p99 must be below this. */
  maxP99Ms: number;
}

export interface Measured {
  ratio: number;
  p99Ms: number;
  /** Non-2xx responses plus connection errors: any makes the figure worthless. */
  failures: number;
}

export interface AimVerdict {
  met: boolean;
  /** One line a reader can act on, e.g. "met: 0.42× ≥ 0.30×, p99 6 ms < 20 ms". */
  text: string;
}

export function judgeAim(aim: Aim, measured: Measured): AimVerdict {
  const problems: string[] = [];
  if (measured.failures > 0) problems.push(`${measured.failures} failed requests`);
  const rateOk = measured.ratio >= aim.minRatio;
  const p99Ok = measured.p99Ms < aim.maxP99Ms;
  // Three decimals here, so that 0.2996 does not read as "0.30× < 0.30×".
  const rate = `${measured.ratio.toFixed(3)}× ${rateOk ? '≥' : '<'} ${aim.minRatio.toFixed(2)}×`;
  const p99 = `p99 ${formatMs(measured.p99Ms)} ${p99Ok ? '<' : '≥'} ${formatMs(aim.maxP99Ms)}`;
  const met = rateOk && p99Ok && problems.length === 0;
  return { met, text: `${met ? 'met' : 'MISSED'}: ${[rate, p99, ...problems].join(', ')}` };
}

/**
 * Of several measurements of the same row, the one least disturbed by the rest of the machine
 * (lowest "others" CPU); without CPU figures, the median by rate. A shared machine can stall a
 * run at any moment: the least disturbed round is the closest to what the server can do.
 */
export function leastDisturbed<T extends { requestsPerSecond: number; cpu: { others: number } | null }>(rounds: readonly T[]): T {
  if (rounds.length === 0) throw new Error('no rounds measured');
  if (rounds.every((round) => round.cpu !== null)) {
    return rounds.reduce((best, round) => (round.cpu!.others < best.cpu!.others ? round : best));
  }
  const byRate = [...rounds].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  return byRate[Math.floor((byRate.length - 1) / 2)]!;
}
