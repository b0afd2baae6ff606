import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { buildConsoleInto, launchChromium, openWatchedPage, type WatchedPage } from './support/console.js';
import { admin, startTestServer, tempDir, type TestServer } from './support/server.js';

/**
 * The web console (docs/console.md) in Debian's chromium-headless-shell against a real server: an
 * operator signs in with the admin key and works through every page the way support staff would.
 * Each story ends by checking that the page threw no error and asked nothing of any host but the
 * server.
 */
let server: TestServer;
let consoleDir: string;
let browser: Browser;

before(async () => {
  consoleDir = await buildConsoleInto();
  server = await startTestServer({ config: { consoleDir } });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.dispose();
  if (consoleDir) fs.rmSync(consoleDir, { recursive: true, force: true });
});

async function signedIn(): Promise<WatchedPage> {
  const watched = await openWatchedPage(browser);
  const { page } = watched;
  await page.goto(`${server.url}/console/`);
  await page.getByLabel('Admin key').fill(server.adminKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Profiles' }).waitFor();
  return watched;
}

/** Nothing went wrong in the page, and every request it made went to the server. */
function assertClean(watched: WatchedPage) {
  assert.deepEqual(watched.errors, []);
  const elsewhere = watched.requests.filter((url) => !url.startsWith(`${server.url}/`) && !url.startsWith('blob:'));
  assert.deepEqual(elsewhere, []);
  assert.ok(watched.requests.length > 3);
}

const text = async (locator: Locator) => (await locator.textContent()) ?? '';

const attributeRow = (page: Page, name: string) =>
  page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });

describe('the web console', () => {
  test('a wrong admin key is refused at the field; the right one signs in, kept in sessionStorage only', async () => {
    const watched = await openWatchedPage(browser);
    const { page } = watched;
    await page.goto(`${server.url}/console/`);
    await page.getByLabel('Admin key').fill('pe_admin_not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const field = page.getByLabel('Admin key');
    await page.locator('.field-error').waitFor();
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.match(await text(page.locator('.field-error')), /admin key/i);
    await field.fill(server.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Profiles' }).waitFor();
    assert.equal(await page.evaluate("sessionStorage.getItem('profile-edge.adminKey')"), server.adminKey);
    assert.equal(await page.evaluate('localStorage.length'), 0);
    await page.context().close();
    assertClean(watched);
  });

  test('support finds a profile by thirdPartyId, sees its attributes, ids and sessions, and removes one attribute', async () => {
    await admin(server, 'POST', '/admin/v1/clients/demo/profiles', {
      tntId: 'console-visitor',
      thirdPartyId: 'crm-console-1',
      attributes: { tier: 'gold', city: 'Lyon' },
    });
    const visit = await server.fetch('/rest/v1/delivery?client=demo&sessionId=console-s1', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ context: { channel: 'web' }, id: { tntId: 'console-visitor' }, execute: { pageLoad: {} } }),
    });
    assert.equal(visit.status, 200);
    const watched = await signedIn();
    const { page } = watched;
    await page.getByLabel('Id type').selectOption('thirdPartyId');
    await page.getByLabel('Id', { exact: true }).fill('crm-console-1');
    await page.getByRole('button', { name: 'Find' }).click();
    const profile = page.getByRole('article', { name: 'Profile' });
    await profile.waitFor();
    assert.equal(await text(attributeRow(page, 'tier').locator('td').first()), 'gold');
    assert.equal(await text(attributeRow(page, 'city').locator('td').first()), 'Lyon');
    assert.match(await text(profile), /console-visitor/);
    assert.match(await text(profile), /sessionCount\s*1/);
    assert.match(await text(page.getByRole('status')), /Profile found/);

    await page.getByRole('button', { name: 'Remove attribute city' }).click();
    await page.getByRole('status').filter({ hasText: 'Attribute city removed' }).waitFor();
    assert.equal(await attributeRow(page, 'city').count(), 0);
    const stored = await (await admin(server, 'GET', '/admin/v1/clients/demo/profiles/thirdPartyId/crm-console-1')).json();
    assert.deepEqual(Object.keys((stored as { profileAttributes: object }).profileAttributes).includes('city'), false);
    assert.equal((stored as { profileAttributes: Record<string, { value: string }> }).profileAttributes.tier?.value, 'gold');

    // An unknown id: the API's message under the field.
    await page.getByLabel('Id', { exact: true }).fill('crm-nobody');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.locator('.field-error').waitFor();
    assert.match(await text(page.locator('.field-error')), /not found|no profile/i);
    await page.context().close();
    assertClean(watched);
  });
});

test('without a build, /console/ says how to build it', async () => {
  const empty = tempDir('profile-edge-no-console-');
  const bare = await startTestServer({ config: { consoleDir: empty } });
  try {
    const response = await bare.fetch('/console/');
    assert.equal(response.status, 503);
    assert.match(await response.text(), /npm run build/);
  } finally {
    await bare.dispose();
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test('the console is served with a policy that lets it load and call this server only', async () => {
  const page = await server.fetch('/console/');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'; script-src 'self'/);
  assert.equal((await server.fetch('/console', { redirect: 'manual' })).headers.get('location'), '/console/');
});
