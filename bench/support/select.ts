/**
 * Which bench scripts `npm run bench` runs: every `*.bench.ts`, in name order; with arguments,
 * only those whose name contains one of them (`npm run bench -- foundation bulk`).
 * Unknown arguments are returned so the runner can refuse them instead of running nothing.
 */
export function selectBenchFiles(fileNames: readonly string[], filters: readonly string[]): { selected: string[]; unmatched: string[] } {
  const benches = fileNames.filter((name) => name.endsWith('.bench.ts')).sort();
  if (filters.length === 0) return { selected: benches, unmatched: [] };
  const selected = benches.filter((name) => filters.some((filter) => name.includes(filter)));
  const unmatched = filters.filter((filter) => !benches.some((name) => name.includes(filter)));
  return { selected, unmatched };
}
