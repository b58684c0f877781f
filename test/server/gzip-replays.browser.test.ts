import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, SKIP_BROWSER_SUITES, launchChromium, type Browser } from '../support/chromium.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { CUSTOMER_360 } from '../support/queries.ts';

/**
 * The ops page (the gateway's own origin) posts the same Customer 360 query twice in Debian's
 * chromium, which asks for br first: the answer that runs comes in brotli, its replay in the
 * gateway's assembled gzip, and the page reads the same text from both. What Content-Encoding
 * each answer had is read from the browser's network events (the page cannot see it).
 */
const PAGE = JSON.stringify({ query: CUSTOMER_360, variables: { first: 50 } });

if (SKIP_BROWSER_SUITES) {
  console.warn(`gzip replay browser test skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH); in CI this fails`);
}

describe.skipIf(SKIP_BROWSER_SUITES)('replays in gzip, read by a browser', () => {
  let stack: GatewayStack | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    // No upstream report: the answer that runs and its replay are then the same bytes.
    stack = await GatewayStack.start({ UPSTREAM_REPORT: 'false' });
    browser = await launchChromium('the gzip replay browser test');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('decodes the answer that ran (brotli) and its replay (gzip) to the same text', async () => {
    const page = await browser!.context.newPage();
    const network = await browser!.context.newCDPSession(page);
    const encodings: Array<string | undefined> = [];
    network.on('Network.responseReceived', (event) => {
      if (event.response.url !== stack!.url) return; // the ops page fetches its own feed too
      const headers = Object.fromEntries(Object.entries(event.response.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
      encodings.push(headers['content-encoding']);
    });
    await network.send('Network.enable');
    const origin = new URL(stack!.url).origin;
    await page.goto(`${origin}/ops`); // its CSP lets it fetch its own origin; a JSON page's allows nothing
    const texts = await page.evaluate(async ({ url, body }) => {
      const post = async () => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text();
      return [await post(), await post()];
    }, { url: stack!.url, body: PAGE });
    const identity = Buffer.from(await (await request(stack!.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: PAGE })).body.arrayBuffer()).toString('utf8');
    expect(encodings).toEqual(['br', 'gzip']);
    expect(texts).toEqual([identity, identity]);
    expect((JSON.parse(identity) as { data: { customers: { edges: unknown[] } } }).data.customers.edges).toHaveLength(50);
  }, 30_000);
});
