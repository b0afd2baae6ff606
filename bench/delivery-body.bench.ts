/**
 * What a huge but valid delivery body costs (issue 11, docs/security.md#limits-and-hostile-input):
 * JSON.parse of bodies of 1 to 60 MB in this process, then a real `profile-edge serve` in a child
 * process, with PROFILE_EDGE_MAX_DELIVERY_BODY_BYTES set to each size, receiving one such body
 * while `/healthz` is polled every 10 ms: the slowest healthz answer is how long the event loop
 * stalled. Prints a Markdown table.
 *
 *   node --import tsx bench/delivery-body.bench.ts [--sizes 1,10,20,60]   (MB)
 */
import { parseArgs } from 'node:util';
import { startProfileEdge } from './support/profile-edge-server.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1,10,20,60' } } });
const sizes = values.sizes.split(',').map(Number);
const MB = 1024 * 1024;

/**
 * A valid delivery body of about `bytes`: one mbox, and an unknown field (ignored by the server)
 * holding many small objects — the costly kind of JSON to parse, as an attacker would send.
 */
function bodyOf(bytes: number): Buffer {
  const head = '{"context":{"channel":"web"},"execute":{"mboxes":[{"index":0,"name":"m"}]},"padding":[';
  const item = '{"a":"b"},';
  const count = Math.max(1, Math.floor((bytes - head.length - 12) / item.length));
  return Buffer.from(`${head}${item.repeat(count)}{"a":"b"}]}`);
}

function parseMs(body: Buffer): number {
  const start = performance.now();
  JSON.parse(body.toString('utf8'));
  return performance.now() - start;
}

async function healthzDuring(url: string, body: Buffer): Promise<{ status: number; requestMs: number; worstHealthzMs: number }> {
  let polling = true;
  let worst = 0;
  const poll = (async () => {
    while (polling) {
      const start = performance.now();
      await (await fetch(`${url}/healthz`)).text();
      worst = Math.max(worst, performance.now() - start);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const start = performance.now();
  const response = await fetch(`${url}/rest/v1/delivery?client=demo&sessionId=bench`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  await response.text();
  const requestMs = performance.now() - start;
  await new Promise((r) => setTimeout(r, 50));
  polling = false;
  await poll;
  return { status: response.status, requestMs, worstHealthzMs: worst };
}

const rows: string[] = [];
for (const size of sizes) {
  const body = bodyOf(size * MB);
  const parse = Math.min(parseMs(body), parseMs(body), parseMs(body));
  const server = await startProfileEdge({ env: { PROFILE_EDGE_MAX_DELIVERY_BODY_BYTES: String(size * MB) } });
  try {
    await healthzDuring(server.url, bodyOf(1024)); // warm-up
    const seen = await healthzDuring(server.url, body);
    rows.push(
      `| ${size} MB | ${parse.toFixed(0)} ms | ${seen.status} | ${seen.requestMs.toFixed(0)} ms | ${seen.worstHealthzMs.toFixed(0)} ms |`,
    );
  } finally {
    await server.dispose();
  }
}
console.log('| body | JSON.parse (best of 3) | answer | delivery call | slowest /healthz during it |');
console.log('|---|---|---|---|---|');
for (const row of rows) console.log(row);
