/**
 * Web SDK benchmark: `POST /ee/v1/interact` as Adobe's Web SDK sends it (one event: the page view
 * XDM the SDK builds, one decision scope, 5 profile parameters in `data.__adobe.target`, the
 * identity cookie in `meta.state.entries`) next to `POST /rest/v1/delivery` doing the same work
 * (one prefetched mbox with the same 5 profile parameters), on the same server process, measured
 * in alternation, `rounds` times, by autocannon at 50 connections. One live xt activity decides
 * `hero` from the profile the calls write. Visitors: a pool of 100,000 ECIDs (edge) and 100,000
 * tntIds (delivery), picked at random. Prints a Markdown section.
 *
 *   node --import tsx bench/edge.bench.ts [--duration 10] [--connections 50] [--rounds 3] [--warmup 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { secretFromDataDir } from '../src/cli/remote.js';
import { encodeIdentityCookie } from '../src/wire/edge-identity.js';
import { type ChildServer, startChildServer } from '../test/support/child-server.js';
import {
  type LoadFigures,
  loadFigures,
  loadRow,
  median,
  POOL_SIZE,
  processCpuMs,
  putActivities,
  visitorTntId,
} from './support/delivery-load.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
  },
});
const warmup = Number(values.warmup);
const duration = Number(values.duration);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const ORG = 'ABCDEF0123456789ABCDEF01@AdobeOrg';
const IDENTITY_KEY = 'kndctr_ABCDEF0123456789ABCDEF01_AdobeOrg_identity';
const randomVisitor = () => Math.floor(Math.random() * POOL_SIZE);

const ACTIVITY = {
  name: 'Loyalty hero',
  type: 'xt',
  state: 'live',
  priority: 1,
  experiences: [
    {
      id: 'gold',
      audience: { '==': [{ var: 'profile.loyaltyTier' }, 'gold'] },
      offers: { hero: { type: 'html', content: '<b>Gold</b>' } },
    },
    { id: 'other', offers: { hero: { type: 'html', content: '<i>Join us</i>' } } },
  ],
  metrics: [{ name: 'buy', type: 'click', location: 'hero' }],
};

function profileParameters(visitor: number, serial: number): Record<string, string> {
  return {
    lastCategory: `category-${serial % 40}`,
    lastProduct: `sku-${serial % 1000}`,
    cartSize: String(serial % 7),
    loyaltyTier: visitor % 3 === 0 ? 'gold' : 'silver',
    lastSeenPage: `/products/${serial % 250}`,
  };
}

const ecidOf = (visitor: number) => `${String(visitor).padStart(19, '0')}${String(visitor * 7919).padStart(19, '0')}`;

function deliveryBody(visitor: number, serial: number): string {
  return JSON.stringify({
    context: { channel: 'web', address: { url: 'https://shop.example/products' }, userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' },
    id: { tntId: visitorTntId(visitor) },
    prefetch: { mboxes: [{ name: 'hero', index: 0, profileParameters: profileParameters(visitor, serial) }] },
  });
}

/** The body the Web SDK 2.33.1 sends for `sendEvent({decisionScopes: ['hero'], data})` (captured shape). */
function interactBody(visitor: number, serial: number): string {
  const target: Record<string, string> = {};
  for (const [name, value] of Object.entries(profileParameters(visitor, serial))) target[`profile.${name}`] = value;
  return JSON.stringify({
    events: [
      {
        xdm: {
          eventType: 'web.webpagedetails.pageViews',
          web: { webPageDetails: { URL: 'https://shop.example/products', name: 'products' }, webReferrer: { URL: '' } },
          device: { screenHeight: 1080, screenWidth: 1920, screenOrientation: 'landscape' },
          environment: { type: 'browser', browserDetails: { viewportWidth: 1280, viewportHeight: 720 } },
          placeContext: { localTime: '2026-12-02T08:00:00.000+01:00', localTimezoneOffset: -60 },
          timestamp: new Date().toISOString(),
          implementationDetails: { name: 'https://ns.adobe.com/experience/alloy', version: '2.33.1', environment: 'browser' },
        },
        query: {
          personalization: {
            schemas: [
              'https://ns.adobe.com/personalization/default-content-item',
              'https://ns.adobe.com/personalization/html-content-item',
              'https://ns.adobe.com/personalization/json-content-item',
              'https://ns.adobe.com/personalization/redirect-item',
              'https://ns.adobe.com/personalization/dom-action',
            ],
            decisionScopes: ['hero'],
          },
        },
        data: { __adobe: { target } },
      },
    ],
    meta: {
      state: {
        domain: 'shop.example',
        cookiesEnabled: true,
        entries: [{ key: IDENTITY_KEY, value: encodeIdentityCookie(ecidOf(visitor)) }],
      },
    },
  });
}

/** Calls prepared per kind: a random visitor each, the serial varying the parameter values. */
const PREBUILT = 20_000;
const calls = {
  edge: Array.from({ length: PREBUILT }, (_, n) => ({
    path: `/ee/v1/interact?configId=bench-web&requestId=r${n}`,
    body: interactBody(randomVisitor(), n),
  })),
  delivery: Array.from({ length: PREBUILT }, (_, n) => {
    const visitor = randomVisitor();
    return { path: `/rest/v1/delivery?client=demo&sessionId=bench-${visitor}`, body: deliveryBody(visitor, n) };
  }),
};

async function load(server: ChildServer, kind: 'delivery' | 'edge', seconds = duration): Promise<LoadFigures> {
  let serial = 0;
  const cpuBefore = processCpuMs(server.process.pid!);
  const result = await autocannon({
    url: server.url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': kind === 'edge' ? 'text/plain; charset=UTF-8' : 'application/json' },
        // Bodies are built before the run, so that the load generator (on the same machine) spends
        // as little as it can, and alike, on either call.
        setupRequest: (request) => {
          const call = calls[kind][serial++ % PREBUILT]!;
          return { ...request, path: call.path, body: call.body };
        },
      },
    ],
  });
  return loadFigures(result, cpuBefore, processCpuMs(server.process.pid!));
}

async function setUp(server: ChildServer, dataDir: string): Promise<void> {
  const headers = { authorization: `Bearer ${secretFromDataDir(dataDir, 'ADMIN_KEY')}`, 'content-type': 'application/json' };
  const put = await fetch(`${server.url}/admin/v1/clients/demo/datastreams/bench-web`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ imsOrgId: ORG, thirdPartyIdNamespace: 'CRM' }),
  });
  if (put.status !== 201) throw new Error(`datastream: ${put.status} ${await put.text()}`);
  await putActivities(server.url, dataDir, [['loyalty', ACTIVITY]]);
  // Both calls answer the offer the profile parameters earn (checked once, outside the measure).
  const edge = await fetch(`${server.url}/ee/v1/interact?configId=bench-web`, { method: 'POST', body: interactBody(3, 0) });
  const delivery = await fetch(`${server.url}/rest/v1/delivery?client=demo&sessionId=check`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: deliveryBody(3, 0),
  });
  const [edgeText, deliveryText] = [await edge.text(), await delivery.text()];
  if (!edgeText.includes('<b>Gold</b>') || !deliveryText.includes('<b>Gold</b>'))
    throw new Error(`set-up check failed: ${edgeText} ${deliveryText}`);
}

const number = (n: number) => Math.round(n).toLocaleString('en-US');

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-bench-'));
const server = await startChildServer(dataDir);
const loadBefore = os.loadavg()[0]!;
const rows: string[] = [];
const results: Array<{ delivery: LoadFigures; edge: LoadFigures }> = [];
try {
  await setUp(server, dataDir);
  // Unmeasured: compile the hot paths and create the first visitors' profiles of both pools.
  await load(server, 'delivery', warmup);
  await load(server, 'edge', warmup);
  for (let round = 1; round <= rounds; round++) {
    // Alternate which goes first, so neither always meets a warmer (or busier) server.
    const result =
      round % 2 === 1
        ? { delivery: await load(server, 'delivery'), edge: await load(server, 'edge') }
        : { edge: await load(server, 'edge'), delivery: await load(server, 'delivery') };
    results.push(result);
    rows.push(
      loadRow(round, 'Delivery API, 1 prefetched mbox, 5 profile parameters', result.delivery),
      loadRow(round, 'Web SDK interact, 1 decision scope, 5 profile parameters', result.edge),
    );
    for (const [name, figures] of Object.entries(result)) {
      if (figures.non2xx + figures.errors > 0) throw new Error(`${name}: ${figures.non2xx} non-2xx, ${figures.errors} errors`);
    }
  }
  const ratios = results.map((r) => r.edge.requestsPerSecond / r.delivery.requestsPerSecond);
  const cpuRatios = results
    .map((r) => (r.delivery.serverCpuMicros ?? Number.NaN) / (r.edge.serverCpuMicros ?? Number.NaN))
    .filter((x) => !Number.isNaN(x));
  const cpu = results
    .map((r) => (r.edge.serverCpuMicros ?? Number.NaN) - (r.delivery.serverCpuMicros ?? Number.NaN))
    .filter((x) => !Number.isNaN(x));
  console.log(`## Web SDK interact

\`node --import tsx bench/edge.bench.ts\` — ${connections} connections, ${warmup} s warm-up of each call, then ${duration} s per run, ${rounds} rounds alternating
the two calls on one server process (SQLite, plain HTTP). Interact: the body Adobe's Web SDK 2.33.1 sends
for one decision scope (page-view XDM, 5 \`profile.*\` keys in \`data.__adobe.target\`, the identity
cookie in \`meta.state.entries\`) for a random visitor of ${number(POOL_SIZE)} ECIDs; Delivery: one
prefetched mbox with the same 5 profile parameters for a random visitor of ${number(POOL_SIZE)} tntIds.
One live xt activity decides the location from the profile the call writes; nothing is counted
(prefetch: counted on display). Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'});
server and load generator share the machine; load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0]!.toFixed(1)} after.

| round | call | requests/s | p50 ms | p99 ms | server CPU µs/request | requests | errors |
|---:|---|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

Interact against Delivery: median **${median(ratios).toFixed(2)}×**, rounds ${ratios.map((r) => r.toFixed(2)).join(', ')} (aim ≥ 0.8×).
Server CPU added per interact call: median ${cpu.length > 0 ? `${number(median(cpu))} µs` : 'n/a'}; Delivery's CPU per request over interact's: median ${
    cpuRatios.length > 0 ? `${median(cpuRatios).toFixed(2)}×` : 'n/a'
  } (the throughput ratio with the neighbours' load taken out).`);
} finally {
  await server.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
