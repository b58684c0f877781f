import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/**
 * Debian's chromium, driven by playwright-core: never a downloaded browser. Browser suites are
 * skipped without it outside CI and fail in CI (.ci/run installs the package).
 */
export const CHROMIUM = process.env['PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH'] ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const SKIP_BROWSER_SUITES = !HAVE_CHROMIUM && process.env['CI'] !== 'true';

// Without the background-networking flags chromium keeps dialling Google's hosts, which this
// machine's closed network refuses.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless chromium with a fresh profile, removed on close. */
export async function launchChromium(suite: string): Promise<Browser> {
  if (!HAVE_CHROMIUM) throw new Error(`CI needs chromium at ${CHROMIUM} for ${suite} (.ci/run installs the Debian package)`);
  const profile = mkdtempSync(join(tmpdir(), 'tributary-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 1000 } });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
