import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import autocannon from 'autocannon';
import { secretFromDataDir } from '../src/cli/remote.js';
import { encodeIdentityCookie } from '../src/wire/edge-identity.js';
import { startHttpChild } from '../test/support/child-server.js';
const kind = process.argv[2]!;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pe-prof-'));
const server = await startHttpChild([`--cpu-prof`, `--cpu-prof-dir=/tmp/prof-${kind}`, 'src/main.ts', 'serve'], { PROFILE_EDGE_DATA_DIR: dataDir, PROFILE_EDGE_LOG_LEVEL: 'warn' });
const headers = { authorization: `Bearer ${secretFromDataDir(dataDir, 'ADMIN_KEY')}`, 'content-type': 'application/json' };
await fetch(`${server.url}/admin/v1/clients/demo/datastreams/b`, { method: 'PUT', headers, body: JSON.stringify({ imsOrgId: 'A@AdobeOrg' }) });
await fetch(`${server.url}/admin/v1/clients/demo/activities/l`, { method: 'PUT', headers, body: JSON.stringify({ name: 'x', type: 'xt', state: 'live', priority: 1, experiences: [{ id: 'g', audience: { '==': [{ var: 'profile.loyaltyTier' }, 'gold'] }, offers: { hero: { type: 'html', content: '<b>G</b>' } } }, { id: 'o', offers: { hero: { type: 'html', content: '<i>o</i>' } } }], metrics: [{ name: 'buy', type: 'click', location: 'hero' }] }) });
const pp = (n: number) => ({ lastCategory: `c-${n % 40}`, lastProduct: `sku-${n % 1000}`, cartSize: String(n % 7), loyaltyTier: n % 3 ? 'silver' : 'gold', lastSeenPage: `/p/${n % 250}` });
const bodies = Array.from({ length: 5000 }, (_, n) => kind === 'edge'
  ? JSON.stringify({ events: [{ xdm: { eventType: 'web.webpagedetails.pageViews', web: { webPageDetails: { URL: 'https://shop.example/products', name: 'products' }, webReferrer: { URL: '' } }, device: { screenHeight: 1080, screenWidth: 1920, screenOrientation: 'landscape' }, environment: { type: 'browser', browserDetails: { viewportWidth: 1280, viewportHeight: 720 } }, placeContext: { localTime: '2026-12-02T08:00:00.000+01:00', localTimezoneOffset: -60 }, timestamp: new Date().toISOString(), implementationDetails: { name: 'https://ns.adobe.com/experience/alloy', version: '2.33.1', environment: 'browser' } }, query: { personalization: { schemas: ['a', 'b', 'c', 'd', 'e'], decisionScopes: ['hero'] } }, data: { __adobe: { target: Object.fromEntries(Object.entries(pp(n)).map(([k, v]) => [`profile.${k}`, v])) } } }], meta: { state: { domain: 'shop.example', cookiesEnabled: true, entries: [{ key: 'kndctr_A_AdobeOrg_identity', value: encodeIdentityCookie(String(n % 3000).padStart(38, '1')) }] } } })
  : JSON.stringify({ context: { channel: 'web', address: { url: 'https://shop.example/products' }, userAgent: 'Mozilla/5.0' }, id: { tntId: `t${n % 3000}` }, prefetch: { mboxes: [{ name: 'hero', index: 0, profileParameters: pp(n) }] } }));
let i = 0;
await autocannon({ url: server.url, connections: 20, duration: 8, requests: [{ method: 'POST', headers: { 'content-type': 'text/plain' }, setupRequest: (r) => ({ ...r, path: kind === 'edge' ? '/ee/v1/interact?configId=b&requestId=x' : `/rest/v1/delivery?client=demo&sessionId=s${i % 3000}`, body: bodies[i++ % 5000] }) }] });
await server.stop();
