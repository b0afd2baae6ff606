import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { buildConsoleInto, launchChromium, openWatchedPage, type WatchedPage } from './support/console.js';
import { deliver } from './support/delivery.js';
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
  await page.getByLabel('Client', { exact: true }).selectOption('demo');
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

/** The page's aria-live status line. */
const statusLine = (page: Page) => page.locator('p[role="status"]');

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
    assert.match(await text(statusLine(page)), /Profile found/);

    await page.getByRole('button', { name: 'Remove attribute city' }).click();
    await statusLine(page).filter({ hasText: 'Attribute city removed' }).waitFor();
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

  test('an operator issues a client a profile token, sees it once with a copy button, and the previous token stops working', async () => {
    const watched = await signedIn();
    const { page } = watched;
    await page.getByRole('link', { name: 'Clients and tokens' }).click();
    await page.getByLabel('Client code').fill('console-shop');
    await page.getByRole('button', { name: 'Save client' }).click();
    const card = page.getByRole('article', { name: 'Client console-shop' });
    await card.waitFor();
    // A refused setting: the API's message under its field.
    await page.getByLabel('Client code').fill('console-shop');
    await page.getByLabel('Profile lifetime (days)').fill('400');
    await page.getByRole('button', { name: 'Save client' }).click();
    await page.locator('.field-error').waitFor();
    assert.match(await text(page.locator('.field-error')), /profileLifetimeDays/);

    await card.getByRole('button', { name: /New token/ }).click();
    await card.getByRole('button', { name: 'Issue and revoke the current token' }).click();
    const shown = card.getByLabel('New profile token of console-shop');
    await shown.waitFor();
    const first = await shown.inputValue();
    assert.match(first, /^pet_/);
    assert.equal(await card.getByRole('button', { name: 'Copy' }).count(), 1);
    assert.equal(
      (await server.fetch('/rest/v1/profiles/nobody?client=console-shop', { headers: { authorization: `Bearer ${first}` } })).status,
      404,
    );

    await card.getByRole('button', { name: /New token/ }).click();
    await card.getByRole('button', { name: 'Issue and revoke the current token' }).click();
    await statusLine(page).filter({ hasText: 'the previous one is revoked' }).waitFor();
    await page.waitForFunction(
      ([label, old]) => {
        const input = (
          globalThis as unknown as { document: { querySelector(s: string): { value: string } | null } }
        ).document.querySelector(`input[aria-label="${label}"]`);
        return input !== null && input.value !== old;
      },
      ['New profile token of console-shop', first] as const,
    );
    assert.equal(
      (await server.fetch('/rest/v1/profiles/nobody?client=console-shop', { headers: { authorization: `Bearer ${first}` } })).status,
      403,
    );
    await page.context().close();
    assertClean(watched);
  });

  test('a CRM file with one bad row: the upload progresses to 100 %, the batch completes and the report names line 3', async () => {
    const watched = await signedIn();
    const { page } = watched;
    await page.getByRole('link', { name: 'Batches' }).click();
    await page.getByLabel('Profile token of the client').fill(server.demoToken);
    const rows = ['batch=thirdPartyId,tier', 'crm-batch-1,silver', 'crm-batch-2,%FF'];
    for (let i = 3; i < 500; i++) rows.push(`crm-batch-${i},bronze-${'x'.repeat(40)}`);
    await page
      .getByLabel('File', { exact: true })
      .setInputFiles({ name: 'crm.csv', mimeType: 'text/plain', buffer: Buffer.from(`${rows.join('\n')}\n`) });
    await page.getByRole('button', { name: 'Upload' }).click();
    const status = page.getByRole('article', { name: 'Batch status' });
    await status.locator('[data-field="status"]', { hasText: /^complete$/ }).waitFor();
    assert.equal(await page.locator('#upload-progress').getAttribute('value'), '1');
    assert.equal(await text(status.locator('[data-field="failedUpdates"]')), '1');
    assert.equal(await text(status.locator('[data-field="successfulUpdates"]')), String(rows.length - 2));
    const failedRow = status.getByRole('row').filter({ hasText: 'crm-batch-2' });
    assert.equal(await text(failedRow.locator('td').first()), '3');
    const download = page.waitForEvent('download');
    await status.getByRole('button', { name: 'Download the report (JSON)' }).click();
    const saved = await (await download).path();
    const report = JSON.parse(fs.readFileSync(saved, 'utf8')) as Array<{ line: number; key: string }>;
    assert.deepEqual(
      report.map((row) => [row.line, row.key]),
      [[3, 'crm-batch-2']],
    );
    await page.context().close();
    assertClean(watched);
  });

  test('a script edited into a runaway loop is disabled by the server on the next visit, and the console shows why', async () => {
    const watched = await signedIn();
    const { page } = watched;
    await page.getByRole('link', { name: 'Profile scripts' }).click();
    await page.getByLabel('Name').fill('visits');
    await page.getByLabel('Source').fill("return Number(profile.get('user.visits') || 0) + 1;");
    await page.getByRole('button', { name: 'Save and enable' }).click();
    const row = page.locator('tr[data-script="visits"]');
    await row.waitFor();
    assert.match(await text(row), /active/);

    // The trial run, against a stored visitor.
    await page.getByRole('button', { name: 'Run' }).click();
    await statusLine(page).filter({ hasText: 'user.visits = 1' }).waitFor();

    await row.getByRole('button', { name: 'Edit visits' }).click();
    await page.getByLabel('Source').fill('while (true) {}');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByLabel('Trial result').filter({ hasText: 'The run failed (budget)' }).waitFor();
    await page.getByRole('button', { name: 'Save and enable' }).click();
    await statusLine(page).filter({ hasText: 'version 2' }).waitFor();
    const visit = await server.fetch('/rest/v1/delivery?client=demo&sessionId=console-s9', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ context: { channel: 'web' }, id: { tntId: 'console-visitor' }, execute: { pageLoad: {} } }),
    });
    assert.equal(visit.status, 200);
    // The server records the disabling just after answering the visit.
    for (let attempt = 0; attempt < 50 && !(await text(row)).includes('disabled'); attempt++) {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await statusLine(page).filter({ hasText: 'Scripts refreshed' }).waitFor();
      await page.waitForTimeout(100);
    }
    assert.match(await text(row), /budget/);
    await page.context().close();
    assertClean(watched);
  });

  test('a marketer creates an ab activity (a wrong split is refused at the experiences), previews a visitor and reads the report chart', async () => {
    const watched = await signedIn();
    const { page } = watched;
    await page.getByRole('link', { name: 'Activities' }).click();
    await page.getByRole('button', { name: 'New activity' }).click();
    const editor = page.getByRole('form', { name: 'Activity editor' });
    await editor.getByLabel('Activity id', { exact: true }).fill('checkout-test');
    await editor.getByLabel('Activity name', { exact: true }).fill('Checkout button');
    await editor.getByLabel('Location', { exact: true }).fill('checkout');
    await editor.getByLabel('Experience 1 content', { exact: true }).fill('<button>Buy</button>');
    await editor.getByLabel('Experience 2 content', { exact: true }).fill('<button>Buy now</button>');
    await editor.getByLabel('Experience 2 allocation (%)', { exact: true }).fill('40');
    await editor.getByLabel('Metric name', { exact: true }).fill('buy');
    await editor.getByLabel('Metric location', { exact: true }).fill('buy-click');
    await editor.getByRole('button', { name: 'Save activity' }).click();
    await editor.getByRole('alert').filter({ hasText: 'must sum to 100' }).waitFor();
    await editor.getByLabel('Experience 2 allocation (%)', { exact: true }).fill('50');
    await editor.getByRole('button', { name: 'Save activity' }).click();
    await statusLine(page).filter({ hasText: 'Activity checkout-test saved (version 1)' }).waitFor();
    assert.equal(await page.getByRole('rowheader', { name: 'checkout-test' }).count(), 1);
    await page.getByLabel('State', { exact: true }).selectOption('paused');
    assert.equal(await page.getByRole('rowheader', { name: 'checkout-test' }).count(), 0);
    await page.getByLabel('State', { exact: true }).selectOption('live');
    assert.equal(await page.getByRole('rowheader', { name: 'checkout-test' }).count(), 1);

    // The preview: the experience this visitor gets and why; Delivery then gives them the same.
    const previewForm = page.getByRole('form', { name: 'Preview of checkout-test' });
    await previewForm.getByLabel('Visitor id', { exact: true }).fill('console-buyer');
    await previewForm.getByRole('button', { name: 'Preview' }).click();
    const result = previewForm.locator('[data-location="checkout"]');
    await result.waitFor();
    const previewed = await text(result);
    assert.match(previewed, /checkout-test \/ experience [AB]/);
    assert.match(previewed, /bucket \d+ of 10000 falls in experience/);
    const delivered = await deliver(server, 'client=demo&sessionId=buyer', {
      context: { channel: 'web' },
      id: { tntId: 'console-buyer' },
      execute: { mboxes: [{ index: 0, name: 'checkout' }] },
    });
    assert.ok(previewed.includes(delivered.body.execute.mboxes[0].options[0].content));

    // Visitors and conversions (B converts more often), then the report.
    for (let visitor = 0; visitor < 120; visitor++) {
      const shown = await deliver(server, `client=demo&sessionId=sim-${visitor}`, {
        context: { channel: 'web' },
        id: { tntId: `sim-${visitor}` },
        execute: { mboxes: [{ index: 0, name: 'checkout' }] },
      });
      const mbox = shown.body.execute.mboxes[0];
      const experience = mbox.options[0].responseTokens['experience.id'];
      if (visitor % (experience === 'B' ? 2 : 5) !== 0) continue;
      const converted = await deliver(server, `client=demo&sessionId=sim-${visitor}`, {
        context: { channel: 'web' },
        id: { tntId: `sim-${visitor}` },
        notifications: [{ id: `sim-${visitor}-buy`, type: 'click', timestamp: Date.now(), tokens: [mbox.metrics[0].eventToken] }],
      });
      assert.equal(converted.status, 200);
    }
    const report = page.getByRole('article', { name: 'Report of checkout-test' });
    await report.getByRole('button', { name: 'Refresh report' }).click();
    await statusLine(page).filter({ hasText: 'Report refreshed' }).waitFor();
    const stored = (await (await admin(server, 'GET', '/admin/v1/clients/demo/activities/checkout-test/report')).json()) as {
      experiences: Array<{ id: string; visitors: number; metrics: { buy: { interval: { low: number; high: number } | null } } }>;
    };
    for (const experience of stored.experiences) {
      assert.equal(await text(report.locator(`tr[data-experience="${experience.id}"] td`).first()), String(experience.visitors));
    }
    const chart = report.getByRole('img', { name: /Metric buy/ });
    assert.match((await chart.getAttribute('aria-labelledby')) ?? '', /chart-buy-title/);
    const description = await text(chart.locator('desc'));
    const interval = stored.experiences[1]!.metrics.buy.interval!;
    assert.ok(interval, 'the report has an interval for B');
    assert.match(description, new RegExp(`interval ${(interval.low * 100).toFixed(1)} % to ${(interval.high * 100).toFixed(1)} %`));
    assert.equal(await chart.locator('circle[data-lift="B"]').count(), 1);
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

test('the built console stays small: its JavaScript and CSS are under 40 KB gzipped', () => {
  const assets = path.join(consoleDir, 'assets');
  const gzipped = fs
    .readdirSync(assets)
    .reduce((sum, file) => sum + gzipSync(fs.readFileSync(path.join(assets, file)), { level: 9 }).length, 0);
  assert.ok(gzipped > 5_000 && gzipped < 40_000, `${gzipped} bytes gzipped`);
});

test('the console is served with a policy that lets it load and call this server only', async () => {
  const page = await server.fetch('/console/');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'; script-src 'self'/);
  assert.equal((await server.fetch('/console', { redirect: 'manual' })).headers.get('location'), '/console/');
});
