import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_SCOPES, apiKeysFile } from '../support/auth.ts';
import { CHROMIUM, SKIP_BROWSER_SUITES, launchChromium, type Browser } from '../support/chromium.ts';
import { eventually } from '../support/eventually.ts';
import { GatewayStack } from '../support/gateway-stack.ts';

/**
 * The /ops page in a real browser (Debian's chromium, driven by playwright-core) against a
 * gateway and its simulators: Stripe goes down under load, and the page must say so. Without
 * chromium the suite is skipped outside CI and fails in CI (.ci/run installs it).
 */
const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts');

const PROVIDERS = ['customers', 'stripe', 'hubspot'] as const;

const PAGE_QUERY = /* GraphQL */ `
  query OpsLoad {
    customers(first: 4) { edges { node { name payments(first: 2) { edges { node { id } } } crmContact { email } } } }
  }
`;

interface PageElement {
  querySelector(selector: string): PageElement | null;
  readonly dataset: Record<string, string | undefined>;
}

/** What the page shows for one provider, read from its data attributes (the text says the same in words). */
async function cardOf(page: Page, provider: string): Promise<{ breaker: string | null; errorRate: number | null; calls: number | null }> {
  return page.evaluate((name) => {
    // Runs in the page; the project compiles without the DOM's types.
    const { document } = globalThis as unknown as { document: { getElementById(id: string): PageElement | null } };
    const card = document.getElementById(`provider-${name}`);
    const value = (field: string) => {
      const raw = card?.querySelector(`[data-field="${field}"]`)?.dataset['value'];
      return raw === undefined || raw === '' ? null : Number(raw);
    };
    return { breaker: card?.querySelector('[data-field="breaker"]')?.dataset['state'] ?? null, errorRate: value('error-rate'), calls: value('calls-per-second') };
  }, provider);
}

if (SKIP_BROWSER_SUITES) {
  console.warn(`ops page browser test skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH); in CI this fails`);
}

describe.skipIf(SKIP_BROWSER_SUITES)('the ops page in a browser', () => {
  let stack: GatewayStack | undefined;
  let browser: Browser | undefined;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await GatewayStack.start({
      // Every query reaches the providers, so a fault shows at once.
      CACHE_ENABLED: 'false',
      RESULT_CACHE_MAX_BYTES: '0',
      OPERATION_DEADLINE_MS: '1500',
      // The circuit opens on the first failing second and stays open for the whole test.
      BREAKER_MIN_CALLS_PER_SECOND: '0.1',
      BREAKER_HALF_OPEN_AFTER_MS: '600000',
      CLIENT_RATE_LIMIT_REQUESTS: '0',
      TENANT_RATE_LIMIT_REQUESTS: '0',
    });
    browser = await launchChromium('the ops page test');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('shows Stripe\'s circuit OPEN and its error rate rising while Stripe is down, the other providers CLOSED', async () => {
    const gateway = stack!;
    const page = await browser!.context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const response = await page.goto(new URL('/ops', gateway.url).toString());
    expect(response?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('Tributary operations');

    // Healthy traffic first: every circuit reads CLOSED.
    let load = true;
    let faulted = false;
    const traffic = (async () => {
      while (load) await gateway.query(PAGE_QUERY);
    })();
    const cards = async () => Object.fromEntries(await Promise.all(PROVIDERS.map(async (p) => [p, await cardOf(page, p)] as const)));
    /** `eventually`, with what the page showed (and a screenshot) when it never held. */
    const until = async (what: string, probe: () => Promise<boolean>) => {
      try {
        await eventually(probe, 3000);
      } catch {
        await page.screenshot({ path: join(ARTIFACTS, 'ops-page-failure.png'), fullPage: true });
        throw new Error(`${what} never showed; the page showed ${JSON.stringify(await cards())} (screenshot: test-artifacts/ops-page-failure.png)`);
      }
    };
    try {
      await until('every circuit CLOSED with calls flowing', async () => Object.values(await cards()).every((card) => card.breaker === 'closed' && (card.calls ?? 0) > 0));
      expect(await page.locator('#status').getAttribute('data-state')).toBe('live');

      await gateway.simAdmin('stripe', 'faults', { outage: true });
      faulted = true;
      await until('Stripe OPEN with errors', async () => {
        const stripe = await cardOf(page, 'stripe');
        return stripe.breaker === 'open' && (stripe.errorRate ?? 0) > 0;
      });
      await page.screenshot({ path: join(ARTIFACTS, 'ops-page-stripe-open.png'), fullPage: true });

      const stripe = await cardOf(page, 'stripe');
      expect(stripe.errorRate).toBeGreaterThan(0);
      expect(await page.locator('#provider-stripe [data-field="breaker"]').textContent()).toBe('Circuit OPEN');
      for (const other of ['customers', 'hubspot']) expect((await cardOf(page, other)).breaker, other).toBe('closed');
      expect(await page.locator('#provider-customers [data-field="breaker"]').textContent()).toBe('Circuit CLOSED');
    } finally {
      load = false;
      await traffic;
      if (faulted) await gateway.simAdmin('stripe', 'reset');
      await page.close();
    }
    // No script error and no CSP refusal: the page ran on its own files only.
    expect(problems).toEqual([]);
  }, 120_000);
});

describe.skipIf(SKIP_BROWSER_SUITES)('the ops page in a browser, for a tenant\'s ops:read key', () => {
  const KEY = 'trib_test_page_oncall_3c9e71';
  let stack: GatewayStack | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    stack = await GatewayStack.start({ API_KEYS_FILE: apiKeysFile([{ key: KEY, client: 'oncall', tenant: 'sample', scopes: [...READ_SCOPES, 'ops:read'] }]) });
    browser = await launchChromium('the ops page test');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('asks for the key, then shows the tenant\'s own calls and "operator view only" where a figure is not the tenant\'s', async () => {
    const problems: string[] = [];
    const page = await browser!.context.newPage();
    page.on('pageerror', (error) => problems.push(error.message));
    try {
      expect((await stack!.query(PAGE_QUERY, {}, { authorization: `Bearer ${KEY}` })).errors).toBeUndefined();
      await page.goto(new URL('/ops', stack!.url).toString());
      await page.locator('#api-key').fill(KEY);
      await page.locator('#credential').evaluate((form) => (form as unknown as { requestSubmit(): void }).requestSubmit());
      await eventually(async () => (await page.locator('#status').getAttribute('data-state')) === 'live', 1000);
      await eventually(async () => (await page.locator('#provider-stripe [data-field="breaker"]').getAttribute('data-state')) === 'closed', 1000);
      for (const field of ['#gateway [data-field="requests-per-second"]', '#gateway [data-field="rss"]', '#provider-stripe [data-field="cache-hit-rate"]', '#provider-stripe [data-field="bulkhead"]']) {
        expect(await page.locator(field).textContent(), field).toBe('operator view only');
      }
      expect(await page.locator('#provider-stripe [data-field="retries"]').textContent()).toBe('0');
    } finally {
      await page.close();
    }
    expect(problems).toEqual([]);
  }, 60_000);
});
