/** ISO-8601 with milliseconds and an explicit offset, as Target's fetch API writes them. */
export function formatTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('Z', '+00:00');
}
