import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import type { RouteEntry } from '../src/app.js';
import { CONSOLE_PREFIX } from '../src/features/console/console-routes.js';
import { DOCS_PREFIX } from '../src/http/openapi.js';
import { batchIdOf, waitForBatch } from './support/batch.js';
import { bearer, startTestServer, type TestServer } from './support/server.js';

/**
 * The API reference: `GET /openapi.json` documents every route of the route table (walked, so a
 * route added later without schemas fails here), each with its responses; real answers match the
 * schemas they are documented with; `GET /docs` is served with every asset from this server.
 */
interface Operation {
  summary?: string;
  parameters?: Array<{ in: string; name: string }>;
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: object }> }>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

let server: TestServer;
let document: OpenApiDocument;

before(async () => {
  server = await startTestServer();
  const response = await server.fetch('/openapi.json');
  assert.equal(response.status, 200);
  document = (await response.json()) as OpenApiDocument;
});
after(() => server.dispose());

/** `/m2/:client/profile/update` → `/m2/{client}/profile/update`. */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

/**
 * What is wrong with the document for these routes: a route missing, a route without responses
 * (@fastify/swagger writes a placeholder "Default Response" when a route declares none), a path
 * parameter left undocumented. The UI's own routes (under /docs) and the web console's (under
 * /console) are left out of the document on purpose; HEAD routes are Fastify's twins of GET routes.
 */
function problemsOf(routes: readonly RouteEntry[], doc: OpenApiDocument): string[] {
  const problems: string[] = [];
  for (const { method, url } of routes) {
    if (url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`)) {
      if (doc.paths[openApiPath(url)]) problems.push(`${method} ${url}: a page of the reference UI is in the document`);
      continue;
    }
    if (url === CONSOLE_PREFIX || url.startsWith(`${CONSOLE_PREFIX}/`)) {
      if (doc.paths[openApiPath(url)]) problems.push(`${method} ${url}: a file of the web console is in the document`);
      continue;
    }
    const verb = method === 'HEAD' ? 'get' : method.toLowerCase();
    const operation = doc.paths[openApiPath(url)]?.[verb];
    const where = `${method} ${url}`;
    if (!operation) {
      problems.push(`${where}: missing from the document`);
      continue;
    }
    const responses = Object.entries(operation.responses ?? {});
    if (responses.length === 0) problems.push(`${where}: no responses`);
    if (responses.some(([, answer]) => answer.description === 'Default Response')) {
      problems.push(`${where}: declares no response schema, or one without a description`);
    }
    if (!responses.some(([status]) => /^2\d\d$/.test(status))) problems.push(`${where}: no success response`);
    if (!operation.summary) problems.push(`${where}: no summary`);
    for (const [, name] of url.matchAll(/:(\w+)/g)) {
      if (!operation.parameters?.some((p) => p.in === 'path' && p.name === name))
        problems.push(`${where}: path parameter ${name} undocumented`);
    }
  }
  return problems;
}

describe('/openapi.json', () => {
  test('is an OpenAPI 3.1 document', () => {
    assert.match(document.openapi, /^3\.1\.\d+$/);
  });

  test('documents every route of the route table, each with its responses and path parameters', () => {
    const routes = server.app.routes;
    assert.ok(routes.length >= 40, `route table looks incomplete: ${routes.length}`);
    assert.deepEqual(problemsOf(routes, document), []);
    // The walk above covers the UI's routes too: they exist, and only outside the document.
    assert.ok(routes.some((r) => r.method === 'GET' && r.url === DOCS_PREFIX));
  });

  test('the walk fails on a route the document lacks, or one that declares no responses', () => {
    const doc: OpenApiDocument = {
      openapi: '3.1.0',
      paths: {
        '/healthz': { get: { summary: 's', responses: { 200: { description: 'Default Response' } } } },
        '/m2/{client}/x': { post: { summary: 's', responses: { 200: { description: 'ok' } } } },
      },
    };
    const routes: RouteEntry[] = [
      { method: 'GET', url: '/healthz' },
      { method: 'HEAD', url: '/nowhere' },
      { method: 'POST', url: '/m2/:client/x' },
    ];
    assert.deepEqual(problemsOf(routes, doc), [
      'GET /healthz: declares no response schema, or one without a description',
      'HEAD /nowhere: missing from the document',
      'POST /m2/:client/x: path parameter client undocumented',
    ]);
  });

  test('lists no operation that the server does not have', () => {
    const served = new Set(server.app.routes.map((r) => `${r.method.toLowerCase()} ${openApiPath(r.url)}`));
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const verb of Object.keys(operations)) {
        if (['get', 'post', 'put', 'delete', 'options', 'patch'].includes(verb))
          assert.ok(served.has(`${verb} ${path}`), `${verb} ${path}`);
      }
    }
  });
});

/** The documented operation answering `method url` (a concrete URL), by matching the document's paths. */
function operationFor(method: string, url: string): Operation | undefined {
  const path = url.split('?')[0]!;
  for (const [pattern, operations] of Object.entries(document.paths)) {
    const matcher = new RegExp(`^${pattern.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}$`);
    if (matcher.test(path) && operations[method.toLowerCase()]) return operations[method.toLowerCase()];
  }
  return undefined;
}

describe('real answers match their documented responses', () => {
  const json = { 'content-type': 'application/json' };
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  async function call(method: string, url: string, init: { headers?: Record<string, string>; body?: string } = {}) {
    const response = await server.fetch(url, { method, headers: init.headers, body: init.body });
    const text = await response.text();
    return { method, url, status: response.status, type: response.headers.get('content-type') ?? '', text };
  }

  const docActivity = {
    name: 'Doc',
    type: 'xt',
    state: 'live',
    priority: 3,
    audience: { '==': [{ var: 'profile.tier' }, 'gold'] },
    experiences: [{ id: 'A', offers: { hero: { type: 'json', content: { a: 1 } } } }],
    metrics: [{ name: 'buy', type: 'click', location: 'buy' }],
  };

  test('for every route family, successes and errors alike', async () => {
    const adminKey = bearer(server.adminKey);
    const demo = bearer(server.demoToken);
    const answers = [
      await call('GET', '/healthz'),
      await call('GET', '/openapi.json'),
      await call('GET', '/metrics', { headers: adminKey }),
      await call('GET', '/metrics'),
      await call('PUT', '/admin/v1/clients/shop', { headers: { ...adminKey, ...json }, body: '{"profileLifetimeDays":30}' }),
      await call('PUT', '/admin/v1/clients/shop', { headers: { ...adminKey, ...json }, body: '{"imsOrgId":"SHOP1@AdobeOrg"}' }),
      await call('PUT', '/admin/v1/clients/shop', { headers: { ...adminKey, ...json }, body: '{"colour":"red"}' }),
      await call('GET', '/admin/v1/clients', { headers: adminKey }),
      await call('GET', '/admin/v1/clients/shop', { headers: adminKey }),
      await call('GET', '/admin/v1/clients/nope', { headers: adminKey }),
      await call('GET', '/admin/v1/clients/shop/authentication/token?authorizationScope=profile_api', { headers: adminKey }),
      await call('POST', '/admin/v1/clients/shop/authentication/token?authorizationScope=profile_api', { headers: adminKey }),
      await call('GET', '/admin/v1/clients/shop/authentication/token?authorizationScope=profile_api', { headers: adminKey }),
      await call('POST', '/admin/v1/clients/shop/authentication/token', { headers: adminKey }),
      await call('POST', '/admin/v1/clients/demo/profiles', {
        headers: { ...adminKey, ...json },
        body: JSON.stringify({ tntId: 'doc-1', thirdPartyId: 'doc-crm-1', attributes: { tier: 'gold', city: 'Lyon' } }),
      }),
      await call('POST', '/admin/v1/clients/demo/profiles', {
        headers: { ...adminKey, ...json },
        body: '{"tntId":"doc-1","attributes":{"a":"1"}}',
      }),
      await call('POST', '/admin/v1/clients/demo/profiles', { headers: { ...adminKey, ...json }, body: '{"tntId":5}' }),
      await call('GET', '/admin/v1/clients/demo/profiles/tntId/doc-1', { headers: adminKey }),
      await call('GET', '/admin/v1/clients/demo/profiles/email/doc-1', { headers: adminKey }),
      await call('DELETE', '/admin/v1/clients/demo/profiles/tntId/doc-1/attributes/city', { headers: adminKey }),
      await call('GET', '/rest/v1/profiles/doc-1?client=demo', { headers: demo }),
      await call('GET', '/rest/v1/profiles/thirdPartyId/doc-crm-1?client=demo', { headers: demo }),
      await call('GET', '/rest/v1/profiles/marketingCloudVisitorId/nobody?client=demo', { headers: demo }),
      await call('GET', '/rest/v1/profiles/doc-1?client=demo'),
      await call('GET', '/rest/v1/profiles/doc-1'),
      await call('GET', '/m2/demo/profile/update?mboxPC=doc-1&profile.tier=platinum', { headers: demo }),
      await call('POST', '/m2/demo/profile/update', { headers: { ...demo, ...form }, body: 'mbox3rdPartyId=doc-crm-1&profile.b=2' }),
      await call('GET', '/m2/demo/profile/update?mboxPC=nobody&profile.tier=x', { headers: demo }),
      await call('POST', '/rest/v1/delivery?client=demo&sessionId=s1', {
        headers: json,
        body: JSON.stringify({
          context: { channel: 'web' },
          id: { tntId: 'doc-1', customerIds: [{ id: 'c1', integrationCode: 'crm', authenticatedState: 'authenticated' }] },
          execute: { pageLoad: { profileParameters: { seen: 'yes' } }, mboxes: [{ index: 0, name: 'hero' }] },
          prefetch: { pageLoad: {}, views: [{ name: 'home' }], mboxes: [{ index: 1, name: 'side' }] },
          notifications: [{ id: 'n1', type: 'display' }],
        }),
      }),
      await call('POST', '/rest/v1/delivery?client=demo&sessionId=s1', {
        headers: { 'content-type': 'text/plain' },
        body: '{"context":{"beacon":true}}',
      }),
      await call('POST', '/rest/v1/delivery?client=demo&sessionId=s1', { headers: json, body: '{"context":{},"execute":[]}' }),
      await call('POST', '/rest/v1/delivery?client=nope&sessionId=s1', { headers: json, body: '{"context":{}}' }),
      await call('OPTIONS', '/rest/v1/delivery', { headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } }),
      await call('PUT', '/admin/v1/clients/demo/datastreams/doc-web', {
        headers: { ...adminKey, ...json },
        body: '{"imsOrgId":"DOC@AdobeOrg","thirdPartyIdNamespace":"CRM"}',
      }),
      await call('GET', '/admin/v1/clients/demo/datastreams', { headers: adminKey }),
      await call('POST', '/ee/v1/interact?configId=doc-web&requestId=r1', {
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ events: [{ xdm: {}, query: { personalization: { decisionScopes: ['hero', '__view__'] } } }] }),
      }),
      await call('POST', '/ee/or2/v1/collect?configId=doc-web', { headers: { 'content-type': 'text/plain' }, body: '{"events":[]}' }),
      await call('POST', '/ee/v1/interact?configId=nope', { headers: { 'content-type': 'text/plain' }, body: '{}' }),
      await call('POST', '/ee/v1/identity/acquire?configId=doc-web', { headers: { 'content-type': 'text/plain' }, body: '{x' }),
      await call('POST', '/admin/v1/clients/demo/privacy/export', { headers: { ...adminKey, ...json }, body: '{"tntId":"doc-1"}' }),
      await call('POST', '/admin/v1/clients/demo/privacy/export', { headers: { ...adminKey, ...json }, body: '{}' }),
      await call('DELETE', '/admin/v1/clients/demo/profiles/thirdPartyId/doc-crm-1', { headers: adminKey }),
      await call('POST', '/admin/v1/clients/demo/privacy/delete', { headers: { ...adminKey, ...json }, body: '{"tntId":"doc-1"}' }),
      await call('PUT', '/admin/v1/clients/demo/activities/doc-a', {
        headers: { ...adminKey, ...json },
        body: JSON.stringify(docActivity),
      }),
      await call('PUT', '/admin/v1/clients/demo/activities/doc-a', {
        headers: { ...adminKey, ...json },
        body: JSON.stringify(docActivity),
      }),
      await call('PUT', '/admin/v1/clients/demo/activities/doc-a', { headers: { ...adminKey, ...json }, body: '{"name":"x"}' }),
      await call('PUT', '/admin/v1/clients/demo/activities/doc-a', {
        headers: { ...adminKey, ...json, 'if-match': '"1"' },
        body: JSON.stringify(docActivity),
      }),
      await call('GET', '/admin/v1/clients/demo/activities/doc-a', { headers: adminKey }),
      await call('GET', '/admin/v1/clients/demo/activities', { headers: adminKey }),
      await call('DELETE', '/admin/v1/clients/demo/activities/doc-a', { headers: adminKey }),
      await call('GET', '/admin/v1/clients/demo/activities/doc-a', { headers: adminKey }),
    ];
    const upload = await call('POST', '/m2/demo/v2/profile/batchUpdate', {
      headers: { ...demo, ...form },
      body: 'batch=pcId,a\ndoc-2,1\n,2\n',
    });
    const batchId = batchIdOf(upload.text);
    await waitForBatch(server, 'demo', batchId, server.demoToken);
    answers.push(
      upload,
      await call('POST', '/m2/demo/profile/batchUpdate', { headers: form, body: 'batch=pcId,a\ndoc-2,1\n' }),
      await call('GET', `/m2/demo/profile/batchStatus?batchId=${batchId}&showDetails=true`, { headers: demo }),
      await call('GET', `/m2/demo/v2/profile/batchStatus?batchId=nope`, { headers: demo }),
      await call('GET', `/m2/demo/profile/batchReport?batchId=${batchId}`, { headers: demo }),
      await call('GET', `/m2/demo/v2/profile/batchReport?batchId=${batchId}&format=json`, { headers: demo }),
    );

    // Ajv as the document's readers would use it: plain JSON Schema, nothing coerced.
    const ajv = new Ajv({ strict: false, allErrors: true });
    const problems: string[] = [];
    for (const { method, url, status, type, text } of answers) {
      const where = `${method} ${url} → ${status}`;
      const documented = operationFor(method, url)?.responses?.[String(status)];
      if (!documented) {
        problems.push(`${where}: status not documented`);
        continue;
      }
      if (text === '') continue;
      const mediaType = type.split(';')[0]!.trim();
      const content = documented.content?.[mediaType];
      if (!content) {
        problems.push(`${where}: ${mediaType} not documented (${Object.keys(documented.content ?? {}).join(', ')})`);
        continue;
      }
      if (!mediaType.endsWith('json')) continue;
      const validate = ajv.compile(content.schema ?? {});
      if (!validate(JSON.parse(text))) problems.push(`${where}: ${ajv.errorsText(validate.errors)} in ${text.slice(0, 200)}`);
    }
    assert.deepEqual(problems, []);
  });
});

describe('/docs', () => {
  test('is a browsable page whose every asset this server serves, none from another host', async () => {
    const page = await server.fetch(DOCS_PREFIX);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    const assets = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(assets.length >= 4, `assets: ${assets.join(', ')}`);
    for (const asset of assets) {
      assert.doesNotMatch(asset, /^(https?:)?\/\//i, `${asset} is loaded from another host`);
      const url = new URL(asset, `${server.url}${DOCS_PREFIX}`);
      assert.equal(url.origin, new URL(server.url).origin);
      const answer = await server.fetch(url.pathname + url.search);
      assert.equal(answer.status, 200, asset);
      const body = await answer.text();
      if (asset.endsWith('.css')) assert.doesNotMatch(body, /url\(\s*['"]?(https?:)?\/\//i, `${asset} loads from another host`);
    }
    // The page loads the document from this server, with no validator badge calling out, and may
    // load nothing from elsewhere.
    const initializer = await (await server.fetch(`${DOCS_PREFIX}/initializer.js`)).text();
    assert.match(initializer, /url: '\/openapi\.json'/);
    assert.match(initializer, /validatorUrl: null/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'.*connect-src 'self'/);
    // Nothing but the page's own assets can be asked for.
    for (const other of ['package.json', 'index.html', 'swagger-ui.js.map', '..%2F..%2Fpackage.json', '..']) {
      assert.equal((await server.fetch(`${DOCS_PREFIX}/static/${other}`)).status, 404, other);
    }
  });
});
