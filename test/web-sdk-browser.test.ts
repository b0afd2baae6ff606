import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Request } from 'playwright-core';
import { decodeIdentityCookie } from '../src/wire/edge-identity.js';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';
import { fetchTrusting, makeCertificate, type TestCertificate } from './support/tls.js';

/**
 * Adobe's Web SDK (@adobe/alloy 2.33.1, unmodified) in Debian's chromium-headless-shell against
 * profile-edge over TLS (docs/web-sdk.md#trying-it-locally): a certificate made here by openssl
 * for `edge.test` and `page.test`, Chromium's host-resolver mapping both names to loopback ports
 * and every other name to nothing, and a check of every request the browser made. The page sends
 * a profile parameter and the CRM id, gets the offer that parameter earns in that very call, shows
 * it and sends its display; a second call keeps the ECID; the fetch API finds the profile by ECID
 * and by thirdPartyId; the display is counted once, and a click on the offer converts once.
 */
const CHROMIUM = process.env.PROFILE_EDGE_CHROMIUM ?? '/usr/bin/chromium-headless-shell';
const ORG = 'ABCDEF0123456789ABCDEF01@AdobeOrg';
const require = createRequire(import.meta.url);
// The package exports only its source entry; the browser build sits beside it (docs/web-sdk.md).
const ALLOY_JS = path.join(path.dirname(require.resolve('@adobe/alloy')), '..', 'dist', 'alloy.js');

let certificate: TestCertificate;
let server: TestServer;
let pageServer: https.Server;
let browser: Browser;

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>shop</title>
<script>!function(n,o){o.forEach(function(o){n[o]||((n.__alloyNS=n.__alloyNS||[]).push(o),n[o]=function(){var u=arguments;return new Promise(function(i,l){n[o].q.push([i,l,u])})},n[o].q=[])})}(window,["alloy"]);</script>
<script src="/alloy.js" async></script></head>
<body><div id="hero">default hero</div>
<script>
(async () => {
  const out = {};
  const summary = (result) => result.propositions.map((p) => ({ scope: p.scope, renderAttempted: p.renderAttempted, contents: p.items.map((i) => i.data && i.data.content) }));
  try {
    await alloy('configure', { datastreamId: 'web-1', orgId: '${ORG}', edgeDomain: 'edge.test', thirdPartyCookiesEnabled: false });
    const first = await alloy('sendEvent', {
      renderDecisions: true,
      decisionScopes: ['hero'],
      xdm: { eventType: 'web.webpagedetails.pageViews', web: { webPageDetails: { name: 'home' } },
             identityMap: { CRM: [{ id: 'crm-77', authenticatedState: 'authenticated' }] } },
      data: { __adobe: { target: { 'profile.favColor': 'blue' } } },
    });
    out.first = summary(first);
    const hero = first.propositions.find((p) => p.scope === 'hero');
    // A form-based scope: the page renders it, then tells the edge it was displayed.
    await alloy('applyPropositions', { propositions: [hero], metadata: { hero: { selector: '#hero', actionType: 'setHtml' } } });
    await alloy('sendEvent', { xdm: { eventType: 'decisioning.propositionDisplay', _experience: { decisioning: {
      propositions: [{ id: hero.id, scope: hero.scope, scopeDetails: hero.scopeDetails }], propositionEventType: { display: 1 } } } } });
    out.heroHtml = document.getElementById('hero').innerHTML;
    // A click on the offer: the page tells the edge the visitor interacted with it.
    document.getElementById('hero').addEventListener('click', () => {
      alloy('sendEvent', { xdm: { eventType: 'decisioning.propositionInteract', _experience: { decisioning: {
        propositions: [{ id: hero.id, scope: hero.scope, scopeDetails: hero.scopeDetails }], propositionEventType: { interact: 1 } } } } })
        .then(() => { window.__clicked = true; }, (error) => { window.__clicked = String(error); });
    });
    out.second = summary(await alloy('sendEvent', { decisionScopes: ['hero'], xdm: { eventType: 'web.webpagedetails.pageViews' } }));
    out.identity = await alloy('getIdentity');
  } catch (error) {
    out.error = String((error && error.stack) || error);
  }
  window.__out = out;
})();
</script></body></html>`;

/** A page that only views: the Web SDK asks for `__view__`, renders the view changes and sends their display itself. */
const VIEW_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>home</title>
<script>!function(n,o){o.forEach(function(o){n[o]||((n.__alloyNS=n.__alloyNS||[]).push(o),n[o]=function(){var u=arguments;return new Promise(function(i,l){n[o].q.push([i,l,u])})},n[o].q=[])})}(window,["alloy"]);</script>
<script src="/alloy.js" async></script></head>
<body><div id="banner">default banner</div>
<script>
(async () => {
  const out = {};
  try {
    await alloy('configure', { datastreamId: 'web-1', orgId: '${ORG}', edgeDomain: 'edge.test', thirdPartyCookiesEnabled: false });
    const result = await alloy('sendEvent', { renderDecisions: true, xdm: { eventType: 'web.webpagedetails.pageViews' } });
    out.propositions = result.propositions.map((p) => ({ scope: p.scope, renderAttempted: p.renderAttempted, schemas: p.items.map((i) => i.schema) }));
  } catch (error) {
    out.error = String((error && error.stack) || error);
  }
  window.__out = out;
})();
</script></body></html>`;

/** An Adobe rules artifact with one VEC rule on the page load: a view change of #banner. */
const VEC_ARTIFACT = {
  version: '1.0.0',
  meta: { clientCode: 'demo', environment: 'production' },
  globalMbox: 'target-global-mbox',
  geoTargetingEnabled: false,
  responseTokens: [],
  remoteMboxes: [],
  remoteViews: [],
  localMboxes: ['target-global-mbox'],
  localViews: [],
  rules: {
    mboxes: {
      'target-global-mbox': [
        {
          ruleKey: '1002-0',
          activityId: 1002,
          meta: {
            'activity.id': 1002,
            'activity.name': 'VEC banner',
            'activity.type': 'ab',
            'experience.id': 0,
            'location.name': 'target-global-mbox',
          },
          condition: { '==': [1, 1] },
          consequence: {
            name: 'target-global-mbox',
            options: [
              {
                type: 'actions',
                eventToken: 'vec-banner-display-token',
                content: [{ type: 'setHtml', selector: '#banner', cssSelector: '#banner', content: 'Spring banner' }],
              },
            ],
            metrics: [],
          },
        },
      ],
    },
    views: {},
  },
};

before(async () => {
  assert.ok(
    fs.existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install Debian's chromium-headless-shell (.ci/run does) or set PROFILE_EDGE_CHROMIUM`,
  );
  certificate = makeCertificate(['edge.test', 'page.test']);
  server = await startTestServer({ config: { tls: { certFile: certificate.certFile, keyFile: certificate.keyFile } } });
  const trusting = fetchTrusting(certificate.cert);
  server.fetch = (pathAndQuery, init) => trusting(server.url + pathAndQuery, init);
  const put = await admin(server, 'PUT', '/admin/v1/clients/demo/datastreams/web-1', { imsOrgId: ORG, thirdPartyIdNamespace: 'CRM' });
  assert.equal(put.status, 201);
  const activity = await admin(server, 'PUT', '/admin/v1/clients/demo/activities/favourite', {
    name: 'Favourite colour',
    type: 'xt',
    state: 'live',
    priority: 1,
    experiences: [
      {
        id: 'blue',
        audience: { '==': [{ var: 'profile.favColor' }, 'blue'] },
        offers: { hero: { type: 'html', content: '<b>Blue for you</b>' } },
      },
      { id: 'other', offers: { hero: { type: 'html', content: '<i>Pick a colour</i>' } } },
    ],
    metrics: [{ name: 'buy', type: 'click', location: 'hero' }],
  });
  assert.equal(activity.status, 201);

  const alloy = fs.readFileSync(ALLOY_JS);
  pageServer = https.createServer({ cert: certificate.cert, key: fs.readFileSync(certificate.keyFile) }, (request, response) => {
    if (request.url === '/page.html') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    else if (request.url === '/view.html') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(VIEW_PAGE);
    else if (request.url === '/alloy.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(alloy);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  const edgePort = new URL(server.url).port;
  const pagePort = (pageServer.address() as AddressInfo).port;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--ignore-certificate-errors',
      `--host-resolver-rules=MAP edge.test:443 127.0.0.1:${edgePort}, MAP page.test:443 127.0.0.1:${pagePort}, MAP * ~NOTFOUND`,
    ],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => pageServer?.close(resolve));
  await server?.dispose();
  certificate?.dispose();
});

interface Seen {
  url: URL;
  method: string;
  type: string | undefined;
  body: string | null;
}

test('a page on the Web SDK sends a profile parameter and the CRM id and gets the offer it earns; ECID kept, profile found, display counted once, nothing leaves the machine', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const seen: Seen[] = [];
  const failed: string[] = [];
  context.on('request', (request: Request) => {
    seen.push({ url: new URL(request.url()), method: request.method(), type: request.headers()['content-type'], body: request.postData() });
  });
  context.on('requestfailed', (request: Request) => failed.push(`${request.url()}: ${request.failure()?.errorText}`));
  try {
    const page = await context.newPage();
    await page.goto('https://page.test/page.html');
    await page.waitForFunction(() => (globalThis as unknown as { __out?: unknown }).__out !== undefined, undefined, { timeout: 30_000 });
    const out = (await page.evaluate(() => (globalThis as unknown as { __out: unknown }).__out)) as {
      error?: string;
      first: Array<{ scope: string; renderAttempted: boolean; contents: unknown[] }>;
      second: Array<{ scope: string; contents: unknown[] }>;
      heroHtml: string;
      identity: { identity: { ECID: string } };
    };
    assert.equal(out.error, undefined);

    // The offer the profile parameter earns, in the same call; the page showed it.
    const hero = out.first.find((p) => p.scope === 'hero');
    assert.deepEqual(hero?.contents, ['<b>Blue for you</b>']);
    assert.equal(hero?.renderAttempted, false, 'a form-based scope is rendered by the page');
    assert.equal(out.heroHtml, '<b>Blue for you</b>');
    assert.deepEqual(out.second.find((p) => p.scope === 'hero')?.contents, ['<b>Blue for you</b>'], 'the profile remembers');

    const ecid = out.identity.identity.ECID;
    assert.match(ecid, /^\d{38}$/);

    // Nothing left the machine: every request went to the two loopback origins, none failed.
    assert.deepEqual(failed, []);
    const hosts = new Set(seen.map((request) => request.url.host));
    assert.deepEqual([...hosts].sort(), ['edge.test', 'page.test']);

    const interacts = seen.filter((request) => request.url.host === 'edge.test');
    assert.ok(interacts.length >= 3, `edge calls: ${interacts.map((r) => r.url.pathname).join(', ')}`);
    for (const call of interacts) {
      assert.equal(call.url.pathname, '/ee/v1/interact');
      assert.equal(call.url.searchParams.get('configId'), 'web-1');
      assert.match(call.type ?? '', /^text\/plain/);
    }
    const [first, ...later] = interacts.map((call) => JSON.parse(call.body!));
    assert.equal(first.events[0].data.__adobe.target['profile.favColor'], 'blue');
    assert.equal(first.events[0].xdm.identityMap.CRM[0].id, 'crm-77');
    // Every later call carried the identity cookie the first answer stored, holding the same ECID.
    for (const call of later) {
      const entry = call.meta.state.entries.find((e: { key: string }) => e.key === 'kndctr_ABCDEF0123456789ABCDEF01_AdobeOrg_identity');
      assert.equal(decodeIdentityCookie(entry.value), ecid);
    }

    // The fetch API finds the visitor's profile by ECID and by the CRM id.
    for (const lookup of [`marketingCloudVisitorId/${ecid}`, 'thirdPartyId/crm-77']) {
      const response = await server.fetch(`/rest/v1/profiles/${lookup}?client=demo`, { headers: bearer(server.demoToken) });
      assert.equal(response.status, 200, lookup);
      const profile = (await response.json()) as { profileAttributes: Record<string, { value: string }> };
      assert.equal(profile.profileAttributes.favColor?.value, 'blue');
    }

    // The visitor clicks the offer; the page sends the interaction.
    await page.click('#hero');
    await page.waitForFunction(() => (globalThis as unknown as { __clicked?: unknown }).__clicked !== undefined, undefined, {
      timeout: 10_000,
    });
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __clicked: unknown }).__clicked), true);

    // The display the page sent was counted, once; the click converted the click metric, once.
    const report = (await (await admin(server, 'GET', '/admin/v1/clients/demo/activities/favourite/report')).json()) as {
      experiences: Array<{ id: string; impressions: number; visitors: number; metrics: Record<string, { conversions: number }> }>;
    };
    assert.deepEqual(
      report.experiences.map((e) => [e.id, e.impressions, e.visitors, e.metrics.buy?.conversions]),
      [
        ['blue', 1, 1, 1],
        ['other', 0, 0, 0],
      ],
    );
  } finally {
    await context.close();
  }
});

test("an imported artifact's view change is rendered by the Web SDK on __view__, and the display it sends by itself is counted once", async () => {
  assert.equal((await admin(server, 'PUT', '/admin/v1/clients/demo/artifact', VEC_ARTIFACT)).status, 200);
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const hosts = new Set<string>();
  const failed: string[] = [];
  context.on('request', (request: Request) => hosts.add(new URL(request.url()).host));
  context.on('requestfailed', (request: Request) => failed.push(`${request.url()}: ${request.failure()?.errorText}`));
  try {
    const page = await context.newPage();
    await page.goto('https://page.test/view.html');
    await page.waitForFunction(() => (globalThis as unknown as { __out?: unknown }).__out !== undefined, undefined, { timeout: 30_000 });
    const out = (await page.evaluate(() => (globalThis as unknown as { __out: unknown }).__out)) as {
      error?: string;
      propositions: Array<{ scope: string; renderAttempted: boolean; schemas: string[] }>;
    };
    assert.equal(out.error, undefined);
    assert.deepEqual(out.propositions, [
      { scope: '__view__', renderAttempted: true, schemas: ['https://ns.adobe.com/personalization/dom-action'] },
    ]);
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } } }).document.querySelector('#banner')
          .textContent === 'Spring banner',
    );

    // The SDK sends the display after rendering: wait for it to be counted (or fail after 10 s).
    const impressions = async () => {
      const report = (await (await admin(server, 'GET', '/admin/v1/clients/demo/activities/adobe:1002/report')).json()) as {
        experiences: Array<{ impressions: number }>;
      };
      return report.experiences.reduce((sum, experience) => sum + experience.impressions, 0);
    };
    const deadline = Date.now() + 10_000;
    while ((await impressions()) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await impressions(), 1);
    await page.waitForTimeout(300);
    assert.equal(await impressions(), 1, 'counted once');
    assert.deepEqual(failed, []);
    assert.deepEqual([...hosts].sort(), ['edge.test', 'page.test']);
  } finally {
    await context.close();
  }
});
