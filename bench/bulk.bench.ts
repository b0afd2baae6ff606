/**
 * Bulk profile update benchmark (issue 3). Standalone:
 *   node --import tsx bench/bulk.bench.ts [--rows 500000] [--attributes 10]
 *
 * Generates a v2 batch file, starts `profile-edge serve` in a child process on a temp data dir,
 * POSTs the file as the documented curl call would, polls batchStatus until `complete`, and
 * reports the time from the POST to `complete`, rows/s, the server's peak RSS, the worst and p99
 * latency of profile fetches sent while the batch was processing, the server's event-loop delay
 * over that time, and raw better-sqlite3 doing the same upserts in 10,000-row transactions.
 * Prints a Markdown section.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bulkKey, writeBulkFile } from './support/bulk-file.js';
import { rawUpsert } from './support/bulk-raw.js';
import { eventLoopDelay, peakRssMb, postFile, startServerProcess, xmlField } from './support/bulk-server.js';

const { values: args } = parseArgs({
  options: { rows: { type: 'string', default: '500000' }, attributes: { type: 'string', default: '10' } },
});
const rows = Number(args.rows);
const attributes = Number(args.attributes);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-bulk-bench-'));
try {
  const file = path.join(work, 'batch.txt');
  const bytes = await writeBulkFile(file, { rows, attributes, keyColumn: 'pcId' });

  const server = await startServerProcess(path.join(work, 'data'));
  const auth = { authorization: `Bearer ${server.demoToken}` };
  let result: {
    seconds: number;
    uploadSeconds: number;
    peakMb: number;
    worstFetchMs: number;
    p99FetchMs: number;
    fetches: number;
    loop: { maxMs: number; p99Ms: number };
    xml: string;
  };
  try {
    await eventLoopDelay(server); // resets the server's histogram
    const started = performance.now();
    const submitted = await postFile(`${server.url}/m2/demo/v2/profile/batchUpdate`, file, auth);
    const uploadSeconds = (performance.now() - started) / 1000;
    const statusUrl = xmlField(submitted.body, 'batchStatus');
    if (submitted.status !== 200 || !statusUrl) throw new Error(`upload refused: ${submitted.status} ${submitted.body}`);

    // Interactive traffic during processing: one profile fetch at a time, each timed.
    let processing = true;
    const fetchMs: number[] = [];
    const prober = (async () => {
      while (processing) {
        const t0 = performance.now();
        await (await fetch(`${server.url}/rest/v1/profiles/${bulkKey(fetchMs.length % rows)}?client=demo`, { headers: auth })).text();
        fetchMs.push(performance.now() - t0);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    let xml = '';
    for (;;) {
      xml = await (await fetch(`${statusUrl}&showDetails=true`, { headers: auth })).text();
      if (xmlField(xml, 'status') !== 'incomplete') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    const loop = await eventLoopDelay(server);
    processing = false;
    await prober;
    fetchMs.sort((a, b) => a - b);
    result = {
      seconds,
      uploadSeconds,
      peakMb: peakRssMb(server.child.pid!),
      worstFetchMs: fetchMs.at(-1) ?? NaN,
      p99FetchMs: fetchMs[Math.floor(fetchMs.length * 0.99)] ?? NaN,
      fetches: fetchMs.length,
      loop,
      xml,
    };
  } finally {
    await server.stop();
  }
  if (xmlField(result.xml, 'status') !== 'complete' || xmlField(result.xml, 'successfulUpdates') !== String(rows)) {
    throw new Error(`batch did not complete cleanly: ${result.xml}`);
  }

  const raw = await rawUpsert(file, work, 'profile-edge-schema');
  const single = await rawUpsert(file, work, 'single-table');
  const rate = rows / result.seconds;
  const rawRate = raw.rows / raw.seconds;
  const singleRate = single.rows / single.seconds;
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  const lines = [
    '## Bulk',
    '',
    `\`node --import tsx bench/bulk.bench.ts\` — ${rows.toLocaleString('en-US')} rows × ${attributes} attributes, v2 (all profiles new), ` +
      `${(bytes / 1e6).toFixed(1)} MB body; ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}.`,
    '',
    '| measure | value |',
    '|---|---|',
    `| POST → \`complete\` | ${result.seconds.toFixed(2)} s (upload + durable store: ${result.uploadSeconds.toFixed(2)} s) |`,
    `| rate | ${Math.round(rate).toLocaleString('en-US')} rows/s |`,
    `| raw better-sqlite3 upserts into profile-edge's tables, 10k-row transactions | ${raw.seconds.toFixed(2)} s, ${Math.round(rawRate).toLocaleString('en-US')} rows/s |`,
    `| **ratio to raw (same tables)** | **${(rate / rawRate).toFixed(2)}×** (aim ≥ 0.4×) |`,
    `| raw better-sqlite3 upserts into one (id, attributes) table | ${single.seconds.toFixed(2)} s, ${Math.round(singleRate).toLocaleString('en-US')} rows/s |`,
    `| ratio to raw (single table) | ${(rate / singleRate).toFixed(2)}× |`,
    `| server peak RSS (VmHWM) | ${result.peakMb.toFixed(0)} MB (aim < 300 MB) |`,
    `| profile fetch latency during processing, worst / p99 | ${result.worstFetchMs.toFixed(1)} ms / ${result.p99FetchMs.toFixed(1)} ms over ${result.fetches} fetches |`,
    `| server event-loop delay during processing, max / p99 (10 ms sampling) | ${result.loop.maxMs.toFixed(1)} ms / ${result.loop.p99Ms.toFixed(1)} ms |`,
    `| machine load average (1 / 5 / 15 min) at the end | ${load} |`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
