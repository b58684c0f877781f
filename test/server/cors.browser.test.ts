import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_SCOPES, apiKeysFile } from '../support/auth.ts';
import { CHROMIUM, SKIP_BROWSER_SUITES, launchChromium, type Browser } from '../support/chromium.ts';
import { eventually } from '../support/eventually.ts';
import { GatewayStack } from '../support/gateway-stack.ts';

/**
 * Cross-origin calls to /graphql from real pages in Debian's chromium: one page on a localhost
 * port CORS_ORIGINS lists, one on a port it does not. What the gateway answered each preflight is
 * read from the browser's own network events (the DevTools protocol shows preflights; the page
 * cannot), and what reached /graphql from the gateway's access log.
 */
const KEY = 'trib_test_cors_dashboard_5b1e09';
const QUERY = '{ customers(first: 2) { edges { node { name } } } }';

interface Preflight {
  status: number;
  headers: Record<string, string>;
}

interface PageFetch {
  /** What fetch() gave the page: the answer, or the error it threw. */
  outcome: { status: number; body: string } | { error: string };
  preflights: Preflight[];
  /** Chromium's reason for each request it refused to complete, e.g. `PreflightMissingAllowOriginHeader`. */
  corsErrors: string[];
}

/** A server whose only page is an empty HTML document: an origin for the browser to fetch from. */
async function pageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><html><head><title>a page on another origin</title><link rel="icon" href="data:,"></head><body></body></html>');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Opens `origin`'s page and has it call the gateway with `init`, watching the network as it does. */
async function fetchFrom(browser: Browser, origin: string, url: string, init: { headers: Record<string, string>; body: string; credentials?: 'include' | 'omit' }): Promise<PageFetch> {
  const page = await browser.context.newPage();
  const network = await browser.context.newCDPSession(page);
  const preflights: Preflight[] = [];
  const corsErrors: string[] = [];
  network.on('Network.responseReceived', (event) => {
    if (event.type === 'Preflight') preflights.push({ status: event.response.status, headers: lowerCased(event.response.headers) });
  });
  network.on('Network.loadingFailed', (event) => {
    if (event.corsErrorStatus) corsErrors.push(event.corsErrorStatus.corsError);
  });
  await network.send('Network.enable');
  try {
    await page.goto(origin);
    const outcome = await page.evaluate(async ({ url, init }) => {
      try {
        const response = await fetch(url, { method: 'POST', mode: 'cors', ...init });
        return { status: response.status, body: await response.text() };
      } catch (error) {
        return { error: `${(error as Error).name}: ${(error as Error).message}` };
      }
    }, { url, init });
    return { outcome, preflights, corsErrors };
  } finally {
    await page.close();
  }
}

if (SKIP_BROWSER_SUITES) {
  console.warn(`CORS browser test skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH); in CI this fails`);
}

describe.skipIf(SKIP_BROWSER_SUITES)('cross-origin calls from a browser (CORS_ORIGINS, CORS_CREDENTIALS=true)', () => {
  let stack: GatewayStack | undefined;
  let browser: Browser | undefined;
  let allowed: { server: Server; origin: string } | undefined;
  let other: { server: Server; origin: string } | undefined;

  beforeAll(async () => {
    [allowed, other] = await Promise.all([pageServer(), pageServer()]);
    stack = await GatewayStack.start({
      CORS_ORIGINS: allowed.origin,
      CORS_CREDENTIALS: 'true',
      API_KEYS_FILE: apiKeysFile([{ key: KEY, client: 'dashboard', tenant: 'sample', scopes: READ_SCOPES }]),
    });
    browser = await launchChromium('the CORS browser test');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    for (const page of [allowed, other]) page?.server.close();
  });

  /** Access lines for /graphql with this method, as the gateway wrote them. */
  const graphqlLines = (method: string) =>
    stack!.logs.filter((line) => line.includes('"msg":"request completed"') && line.includes(`"method":"${method}"`) && line.includes('"path":"/graphql"')).length;

  it('lets the listed origin\'s page POST JSON with its API key and credentials, after a preflight the gateway allowed', async () => {
    const result = await fetchFrom(browser!, allowed!.origin, stack!.url, {
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify({ query: QUERY }),
      credentials: 'include',
    });
    expect(result.corsErrors).toEqual([]);
    expect(result.outcome).toMatchObject({ status: 200 });
    const answer = JSON.parse((result.outcome as { body: string }).body) as { data?: { customers: { edges: unknown[] } }; errors?: unknown };
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.customers.edges).toHaveLength(2);
    // A JSON POST with a custom header is not "simple": the browser asked first, and got a yes.
    expect(result.preflights).toHaveLength(1);
    const [preflight] = result.preflights;
    expect(preflight!.status).toBe(204);
    expect(preflight!.headers).toMatchObject({ 'access-control-allow-origin': allowed!.origin, 'access-control-allow-credentials': 'true' });
    expect(preflight!.headers['access-control-allow-headers']?.toLowerCase()).toContain('x-api-key');
  }, 30_000);

  it('refuses another origin\'s page: fetch() throws a TypeError, the preflight carried no Access-Control-Allow-Origin, and the POST never reached /graphql', async () => {
    const postsBefore = graphqlLines('POST');
    const optionsBefore = graphqlLines('OPTIONS');
    const result = await fetchFrom(browser!, other!.origin, stack!.url, {
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify({ query: QUERY }),
    });
    expect(result.outcome).toEqual({ error: expect.stringMatching(/^TypeError: /) });
    expect(result.corsErrors).toEqual(['PreflightMissingAllowOriginHeader']);
    expect(result.preflights).toHaveLength(1);
    expect(result.preflights[0]!.headers['access-control-allow-origin']).toBeUndefined();
    // The preflight's own access line is written once its answer has gone; the POST's would be too.
    await eventually(async () => graphqlLines('OPTIONS') > optionsBefore);
    expect(graphqlLines('POST')).toBe(postsBefore);
  }, 30_000);
});

describe.skipIf(SKIP_BROWSER_SUITES)('cross-origin calls from a browser to the embedded default (no client auth, no credentials)', () => {
  let stack: GatewayStack | undefined;
  let browser: Browser | undefined;
  let allowed: { server: Server; origin: string } | undefined;

  beforeAll(async () => {
    allowed = await pageServer();
    stack = await GatewayStack.start({ CORS_ORIGINS: allowed.origin });
    browser = await launchChromium('the CORS browser test');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    allowed?.server.close();
  });

  it('answers the listed origin\'s JSON POST: its preflight passes, and so does Apollo\'s CSRF prevention', async () => {
    const result = await fetchFrom(browser!, allowed!.origin, stack!.url, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }) });
    expect(result.corsErrors).toEqual([]);
    expect(result.preflights.map((preflight) => [preflight.status, preflight.headers['access-control-allow-origin'], preflight.headers['access-control-allow-credentials']])).toEqual([[204, allowed!.origin, undefined]]);
    expect(result.outcome).toMatchObject({ status: 200 });
    expect((JSON.parse((result.outcome as { body: string }).body) as { data?: { customers: { edges: unknown[] } } }).data?.customers.edges).toHaveLength(2);
  }, 30_000);

  it('refuses a simple text/plain POST from the same page, which the browser sends without asking first: Apollo\'s CSRF prevention', async () => {
    const result = await fetchFrom(browser!, allowed!.origin, stack!.url, { headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: QUERY }) });
    expect(result.preflights).toEqual([]);
    expect(result.outcome).toMatchObject({ status: 400 });
    const body = (result.outcome as { body: string }).body;
    expect(body).toMatch(/CSRF/i);
    expect(body).not.toContain('"data"');
  }, 30_000);
});

function lowerCased(headers: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
}
