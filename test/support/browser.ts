// Debian's Chromium through playwright-core (no browser download), with the flags that work
// on a machine without internet, and a fresh profile every time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or null. Only outside CI: CI installs Chromium
 * (.ci/run), so there a missing browser is a failure, never a skip.
 */
export const browserUnavailable: string | null =
  !process.env.CI && !fs.existsSync(CHROMIUM) ? `no browser at ${CHROMIUM}; run: sudo apt-get install -y chromium (or set CHROMIUM_PATH)` : null;
if (browserUnavailable) console.warn(`Browser tests skipped: ${browserUnavailable}`);

export async function launchBrowser(opts: { viewport?: { width: number; height: number } } = {}): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get update && apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: opts.viewport ?? { width: 1280, height: 900 },
  });
  // The web app runs in development mode in tests, where Vite compiles a route on its first
  // visit: on a loaded 2-core CI machine that alone can pass Playwright's 30 s default.
  context.setDefaultTimeout(60_000);
  context.setDefaultNavigationTimeout(90_000);
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
