/**
 * Screenshots of every console page (docs/console.md), at 1280 px and at a phone's 390 px, into
 * docs/console/*.png: a throwaway server with a little data, the console built into a temporary
 * directory, Debian's chromium-headless-shell. Usage: `npm run console:screenshots`.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { buildConsoleInto, launchChromium, openWatchedPage } from '../test/support/console.js';
import { deliver } from '../test/support/delivery.js';
import { admin, startTestServer } from '../test/support/server.js';

const OUT = fileURLToPath(new URL('../docs/console/', import.meta.url));
const consoleDir = await buildConsoleInto();
const server = await startTestServer({ config: { consoleDir } });

await admin(server, 'PUT', '/admin/v1/clients/shop', { profileLifetimeDays: 30, imsOrgId: 'ABC123@AdobeOrg' });
await admin(server, 'POST', '/admin/v1/clients/demo/profiles', {
  tntId: 'visitor-1',
  thirdPartyId: 'crm-1',
  marketingCloudVisitorId: '10527837386392355901041112038610706884',
  attributes: { tier: 'gold', city: 'Lyon', favColor: 'blue' },
});
await deliver(server, 'client=demo&sessionId=s1', { context: { channel: 'web' }, id: { tntId: 'visitor-1' }, execute: { pageLoad: {} } });
await admin(server, 'PUT', '/admin/v1/clients/demo/activities/checkout-test', {
  name: 'Checkout button',
  type: 'ab',
  state: 'live',
  priority: 10,
  experiences: [
    { id: 'A', name: 'Control', allocation: 50, offers: { checkout: { type: 'html', content: '<button>Buy</button>' } } },
    { id: 'B', name: 'Buy now', allocation: 50, offers: { checkout: { type: 'html', content: '<button>Buy now</button>' } } },
  ],
  metrics: [{ name: 'buy', type: 'click', location: 'buy-click' }],
});
for (let visitor = 0; visitor < 400; visitor++) {
  const shown = await deliver(server, `client=demo&sessionId=sim-${visitor}`, {
    context: { channel: 'web' },
    id: { tntId: `sim-${visitor}` },
    execute: { mboxes: [{ index: 0, name: 'checkout' }] },
  });
  const mbox = shown.body.execute.mboxes[0];
  if (visitor % (mbox.options[0].responseTokens['experience.id'] === 'B' ? 4 : 7) !== 0) continue;
  await deliver(server, `client=demo&sessionId=sim-${visitor}`, {
    context: { channel: 'web' },
    id: { tntId: `sim-${visitor}` },
    notifications: [{ id: `n-${visitor}`, type: 'click', timestamp: Date.now(), tokens: [mbox.metrics[0].eventToken] }],
  });
}
await admin(server, 'PUT', '/admin/v1/clients/demo/profile-scripts/visits', {
  source: "return Number(profile.get('user.visits') || 0) + 1;",
});
await admin(server, 'PUT', '/admin/v1/clients/demo/profile-scripts/runaway', { source: 'while (true) {}' });
await deliver(server, 'client=demo&sessionId=s2', { context: { channel: 'web' }, id: { tntId: 'visitor-2' }, execute: { pageLoad: {} } });

const browser = await launchChromium();
const pages: Array<{ name: string; open: (page: Page) => Promise<void> }> = [
  {
    name: 'profiles',
    open: async (page) => {
      await page.getByLabel('Id', { exact: true }).fill('crm-1');
      await page.getByRole('button', { name: 'Find' }).click();
      await page.getByRole('article', { name: 'Profile' }).waitFor();
    },
  },
  {
    name: 'batches',
    open: async (page) => {
      await page.getByRole('link', { name: 'Batches' }).click();
      await page.getByLabel('Profile token of the client').fill(server.demoToken);
      const rows = ['batch=thirdPartyId,tier', 'crm-1,platinum', 'crm-2,%FF', 'crm-3,silver'];
      await page
        .getByLabel('File', { exact: true })
        .setInputFiles({ name: 'crm.csv', mimeType: 'text/plain', buffer: Buffer.from(`${rows.join('\n')}\n`) });
      await page.getByRole('button', { name: 'Upload' }).click();
      await page.getByRole('button', { name: 'Download the report (JSON)' }).waitFor();
    },
  },
  {
    name: 'activities',
    open: async (page) => {
      await page.getByRole('link', { name: 'Activities' }).click();
      await page.getByRole('button', { name: 'Preview and report of checkout-test' }).click();
      const preview = page.getByRole('form', { name: 'Preview of checkout-test' });
      await preview.getByLabel('Visitor id', { exact: true }).fill('visitor-1');
      await preview.getByRole('button', { name: 'Preview' }).click();
      await preview.locator('[data-location="checkout"]').waitFor();
      await page.getByRole('img', { name: /Metric buy/ }).waitFor();
    },
  },
  {
    name: 'activity-editor',
    open: async (page) => {
      await page.getByRole('link', { name: 'Activities' }).click();
      await page.getByRole('button', { name: 'Edit checkout-test' }).click();
      await page.getByLabel('Experience 2 allocation (%)', { exact: true }).fill('40');
      await page.getByRole('button', { name: 'Save activity' }).click();
      await page.getByRole('alert').filter({ hasText: 'must sum to 100' }).waitFor();
    },
  },
  {
    name: 'scripts',
    open: async (page) => {
      await page.getByRole('link', { name: 'Profile scripts' }).click();
      await page.getByRole('button', { name: 'Edit runaway' }).click();
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      await page.getByLabel('Trial result').waitFor();
    },
  },
  {
    name: 'clients',
    open: async (page) => {
      await page.getByRole('link', { name: 'Clients and tokens' }).click();
      const card = page.getByRole('article', { name: 'Client shop' });
      await card.getByRole('button', { name: /New token/ }).click();
      await card.getByRole('button', { name: 'Issue and revoke the current token' }).click();
      await card.getByLabel('New profile token of shop').waitFor();
    },
  },
];

fs.mkdirSync(OUT, { recursive: true });
for (const [suffix, viewport] of [
  ['desktop', { width: 1280, height: 800 }],
  ['phone', { width: 390, height: 844 }],
] as const) {
  for (const { name, open } of pages) {
    const { page, errors } = await openWatchedPage(browser, viewport);
    await page.goto(`${server.url}/console/`);
    await page.getByLabel('Admin key').fill(server.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Profiles' }).waitFor();
    await open(page);
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${OUT}${name}-${suffix}.png`, fullPage: true });
    if (errors.length > 0) throw new Error(`${name}: ${errors.join('; ')}`);
    await page.context().close();
  }
}
{
  const { page } = await openWatchedPage(browser, { width: 1280, height: 600 });
  await page.goto(`${server.url}/console/`);
  await page.screenshot({ path: `${OUT}sign-in-desktop.png` });
  await page.context().close();
}
await browser.close();
await server.dispose();
fs.rmSync(consoleDir, { recursive: true, force: true });
console.log(`wrote ${fs.readdirSync(OUT).length} screenshots into docs/console/`);
