import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_QUERY } from '../../src/graphql/sample-query.ts';
import { READ_SCOPES, apiKeysFile } from '../support/auth.ts';
import { toGlobalId } from '../../src/model/global-id.ts';
import { DatasetLookup } from '../../src/simulators/dataset/dataset-lookup.ts';
import { CHROMIUM, SKIP_BROWSER_SUITES, launchChromium, type Browser } from '../support/chromium.ts';
import { eventually } from '../support/eventually.ts';
import { GatewayStack } from '../support/gateway-stack.ts';

/**
 * The local explorer (GraphiQL at /graphql) in Debian's chromium, with every request to another
 * origin refused and recorded: the page must work with no internet. It runs the preloaded
 * Customer 360 query, shows the data and the upstream report, and runs a subscription that a
 * refund in the Stripe simulator feeds. README_SCREENSHOTS=1 also writes the README's picture.
 */
const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts');
const README_IMAGE = join(import.meta.dirname, '../../docs/images/explorer.png');

type Editor = 'query' | 'response';
const EDITORS: Record<Editor, string> = { query: '.graphiql-query-editor .CodeMirror', response: '.result-window .CodeMirror' };

/** CodeMirror 5, as GraphiQL's editors use it, hangs its instance on its wrapper element. */
interface CodeMirrorElement {
  CodeMirror: { getValue(): string; setValue(value: string): void; lineCount(): number; scrollIntoView(position: { line: number; ch: number }): void };
}

/** The whole text of an editor: what is on screen is only the lines in view. */
async function editorValue(page: Page, editor: Editor): Promise<string> {
  return page.evaluate((selector) => {
    // Runs in the page; the project compiles without the DOM's types.
    const { document } = globalThis as unknown as { document: { querySelector(selector: string): CodeMirrorElement | null } };
    return document.querySelector(selector)?.CodeMirror.getValue() ?? '';
  }, EDITORS[editor]);
}

/**
 * Replaces the query editor's text with a named operation, and waits until GraphiQL has parsed it
 * (its tab takes the name): until then, running would send the new text under the old name.
 */
async function setQuery(page: Page, value: string, operationName: string): Promise<void> {
  await page.evaluate(
    ([selector, text]) => (globalThis as unknown as { document: { querySelector(selector: string): CodeMirrorElement } }).document.querySelector(selector!).CodeMirror.setValue(text!),
    [EDITORS.query, value],
  );
  await until(page, `the ${operationName} tab`, async () => ((await page.locator('.graphiql-tab-active').textContent()) ?? '').includes(operationName));
}

/** The response pane scrolled so that the end of the data and the upstream report are in view. */
async function showUpstreamReport(page: Page): Promise<void> {
  await page.evaluate((selector) => {
    const editor = (globalThis as unknown as { document: { querySelector(selector: string): CodeMirrorElement } }).document.querySelector(selector).CodeMirror;
    const line = editor.getValue().split('\n').findIndex((text) => text.startsWith('  "extensions"'));
    editor.scrollIntoView({ line: Math.min(editor.lineCount() - 1, line + 28), ch: 0 });
  }, EDITORS.response);
}

/** The headers editor's text, replaced: the one editor under the tools whose text names `authorization`. */
async function setHeaders(page: Page, value: string): Promise<string> {
  return page.evaluate((text) => {
    const { document } = globalThis as unknown as { document: { querySelectorAll(selector: string): Iterable<CodeMirrorElement> } };
    const editor = [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')].find((element) => element.CodeMirror.getValue().includes('authorization'));
    if (!editor) return 'no headers editor naming authorization';
    const before = editor.CodeMirror.getValue();
    editor.CodeMirror.setValue(text);
    return before;
  }, value);
}

/**
 * Runs the operation in the editor. GraphiQL's one button stops an operation while it runs, so
 * the click waits for the button to offer "Execute" again.
 */
async function run(page: Page): Promise<void> {
  await page.locator('.graphiql-execute-button[aria-label^="Execute"]').click();
}

/** The answer to the next POST of this named operation, to be awaited after `run`. */
function nextAnswer(page: Page, operationName: string): Promise<{ status(): number }> {
  return page.waitForResponse((response) => response.request().method() === 'POST' && (response.request().postData() ?? '').includes(`"operationName":"${operationName}"`));
}

/**
 * `eventually` (at most 1000 tries, ten seconds on an idle machine), and when it never holds: a
 * screenshot and the response pane's text in the error.
 */
async function until(page: Page, what: string, probe: () => Promise<boolean>, problems: readonly string[] = []): Promise<void> {
  try {
    await eventually(probe, 1000);
  } catch {
    await page.screenshot({ path: join(ARTIFACTS, 'explorer-failure.png') });
    throw new Error(`${what} never showed; the response pane held ${(await editorValue(page, 'response')).slice(0, 500)} (screenshot: test-artifacts/explorer-failure.png); problems: ${problems.join(' | ')}`);
  }
}

function parsed(text: string): { data?: Record<string, unknown> | null; errors?: unknown[]; extensions?: { upstream?: Record<string, { calls: number } | unknown> } } | undefined {
  try {
    return JSON.parse(text) as ReturnType<typeof parsed>;
  } catch {
    return undefined; // still empty, or a half-drawn answer
  }
}

if (SKIP_BROWSER_SUITES) {
  console.warn(`explorer browser test skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH); in CI this fails`);
}

describe.skipIf(SKIP_BROWSER_SUITES)('the local explorer in a browser with no internet', () => {
  let stack: GatewayStack | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await GatewayStack.start({ EXPLORER: 'local', UPSTREAM_REPORT: 'true' });
    browser = await launchChromium('the explorer test');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('runs the preloaded Customer 360 query and shows its data and upstream report, then a subscription\'s event, loading nothing from elsewhere', async () => {
    const gateway = stack!;
    const origin = new URL(gateway.url).origin;
    const page = await browser!.context.newPage();
    const elsewhere: string[] = [];
    const problems: string[] = [];
    const sockets: string[] = [];
    // Every request leaves through here: one to another origin is recorded and refused, as a machine with no internet would.
    await page.route('**/*', async (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      elsewhere.push(url);
      return route.abort('internetdisconnected');
    });
    page.on('websocket', (socket) => sockets.push(socket.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.exposeFunction('reportViolation', (violation: string) => problems.push(`CSP: ${violation}`));
    await page.addInitScript(() => {
      const scope = globalThis as unknown as { document: { addEventListener(type: string, listener: (event: { violatedDirective: string; blockedURI: string }) => void): void }; reportViolation(violation: string): void };
      scope.document.addEventListener('securitypolicyviolation', (event) => scope.reportViolation(`${event.violatedDirective} ${event.blockedURI}`));
    });

    try {
      const response = await page.goto(gateway.url);
      expect(response?.status()).toBe(200);
      await until(page, 'the preloaded query', async () => (await editorValue(page, 'query')) === SAMPLE_QUERY, problems);

      const answered = nextAnswer(page, 'Customer360');
      await run(page);
      expect((await answered).status()).toBe(200);
      await until(page, 'the Customer 360 answer', async () => parsed(await editorValue(page, 'response'))?.extensions?.upstream !== undefined, problems);
      const shown = parsed(await editorValue(page, 'response'))!;
      expect(shown.errors).toBeUndefined();
      expect((shown.data?.['customers'] as { edges: unknown[] }).edges).toHaveLength(3);
      expect(shown.data).toEqual((await gateway.query(SAMPLE_QUERY)).data);
      expect(Object.keys(shown.extensions!.upstream!)).toEqual(expect.arrayContaining(['customers', 'stripe', 'hubspot']));
      expect((shown.extensions!.upstream!['stripe'] as { calls: number }).calls).toBeGreaterThan(0);
      await showUpstreamReport(page);
      await page.screenshot({ path: join(ARTIFACTS, 'explorer.png') });
      if (process.env['README_SCREENSHOTS'] === '1') await page.screenshot({ path: README_IMAGE });

      // A subscription over graphql-ws on the same URL, fed by a refund made in Stripe's dashboard
      // (the simulator's /_sim/mutate), which Stripe announces to the gateway's webhook.
      const lookup = new DatasetLookup(gateway.dataset);
      const customer = gateway.dataset.customers.find((c) => c.externalRefs.stripe !== null && lookup.chargesOf(c.id).some((charge) => charge.status === 'succeeded' && charge.amount_refunded === 0))!;
      const charge = lookup.chargesOf(customer.id).find((c) => c.status === 'succeeded' && c.amount_refunded === 0)!;
      await setQuery(page, `subscription PaymentChanged {\n  paymentChanged(customerId: "${toGlobalId('Customer', customer.id)}") { id status amountRefunded { minorUnits } }\n}`, 'PaymentChanged');
      await run(page);
      await until(page, 'the subscriber', async () => gateway.gateway.events.changes.size === 1, problems);
      expect(sockets).toEqual([gateway.url.replace(/^http/, 'ws')]);
      const refund = await request(new URL('/_sim/mutate', gateway.simulators.stripe.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'refund', charge: charge.id }) });
      await refund.body.dump();
      expect(refund.statusCode).toBe(200);
      await until(page, 'the payment change', async () => (parsed(await editorValue(page, 'response'))?.data?.['paymentChanged'] as { id?: string } | undefined)?.id === toGlobalId('Payment', charge.id), problems);
      const event = parsed(await editorValue(page, 'response'))!.data!['paymentChanged'] as { amountRefunded: { minorUnits: string } };
      expect(event.amountRefunded.minorUnits).toBe(String(charge.amount));
      await page.screenshot({ path: join(ARTIFACTS, 'explorer-subscription.png') });
    } finally {
      await page.close();
    }
    await eventually(async () => gateway.gateway.events.changes.size === 0, 1000); // the page's socket closed with it
    expect(elsewhere).toEqual([]);
    expect(problems).toEqual([]);
  }, 90_000);
});

describe.skipIf(SKIP_BROWSER_SUITES)('the local explorer in a browser, with client auth on', () => {
  const KEY = 'trib_test_explorer_browser_5b0e2d';
  let stack: GatewayStack | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    stack = await GatewayStack.start({ API_KEYS_FILE: apiKeysFile([{ key: KEY, client: 'explorer', tenant: 'sample', scopes: READ_SCOPES }]) });
    browser = await launchChromium('the explorer test');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('opens with the headers editor asking for a key, refuses without one, and answers queries and subscriptions with it', async () => {
    const gateway = stack!;
    const page = await browser!.context.newPage();
    const responsePane = async () => parsed(await editorValue(page, 'response'));
    try {
      await page.goto(gateway.url);
      await until(page, 'the preloaded query', async () => (await editorValue(page, 'query')) === SAMPLE_QUERY);
      const refused = nextAnswer(page, 'Customer360');
      await run(page);
      expect((await refused).status()).toBe(401);
      await until(page, 'the refusal', async () => (await responsePane())?.errors !== undefined);
      expect((await responsePane())?.errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);

      expect(JSON.parse(await setHeaders(page, JSON.stringify({ authorization: `Bearer ${KEY}` })))).toEqual({ authorization: 'Bearer <an API key or a JWT>' });
      const answered = nextAnswer(page, 'Customer360');
      await run(page);
      expect((await answered).status()).toBe(200);
      await until(page, 'the answer', async () => (await responsePane())?.data?.['customers'] !== undefined);
      expect((await responsePane())?.errors).toBeUndefined();

      // Over WebSocket, GraphiQL sends the same headers as connection_init's payload.
      const customer = gateway.dataset.customers.find((c) => c.externalRefs.stripe !== null)!;
      await setQuery(page, `subscription WatchPayments { paymentChanged(customerId: "${toGlobalId('Customer', customer.id)}") { id } }`, 'WatchPayments');
      await run(page);
      await until(page, 'the subscriber', async () => gateway.gateway.events.changes.size === 1);
    } finally {
      await page.close();
    }
  }, 60_000);
});
