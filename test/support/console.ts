import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

/**
 * The web console in a real Chromium (docs/console.md#tests): the console built by Vite into a
 * temporary directory (`npm test` does not run `npm run build`), Debian's chromium-headless-shell
 * with every host name resolving to nothing, and a page that records each request it makes and
 * each error it throws.
 */
export const CHROMIUM = process.env.PROFILE_EDGE_CHROMIUM ?? '/usr/bin/chromium-headless-shell';
const CONFIG_FILE = fileURLToPath(new URL('../../console/vite.config.ts', import.meta.url));

/** Builds the console into a new temporary directory; the caller deletes it. */
export async function buildConsoleInto(outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-edge-console-'))): Promise<string> {
  const { build } = await import('vite');
  await build({ configFile: CONFIG_FILE, logLevel: 'silent', build: { outDir, emptyOutDir: true } });
  return outDir;
}

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium-headless-shell (.ci/run does) or set PROFILE_EDGE_CHROMIUM`);
  }
  // Loopback addresses are used as they are; any name would resolve to nothing.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'] });
}

export interface WatchedPage {
  page: Page;
  /** Every URL the page asked for (documents, scripts, API calls, uploads). */
  requests: string[];
  /** Uncaught errors and console errors of the page. */
  errors: string[];
}

export async function openWatchedPage(browser: Browser, viewport = { width: 1280, height: 900 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const watched: WatchedPage = { page, requests: [], errors: [] };
  page.on('request', (request) => watched.requests.push(request.url()));
  page.on('pageerror', (error) => watched.errors.push(String(error)));
  page.on('console', (message) => {
    // A failed API call the page shows to the user is logged by Chromium as a resource error; that is expected.
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) watched.errors.push(message.text());
  });
  return watched;
}
