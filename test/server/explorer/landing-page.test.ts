import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_QUERY } from '../../../src/graphql/sample-query.ts';
import { apiKeysFile, READ_SCOPES } from '../../support/auth.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';

/** What Chromium sends when it opens a page: HTML first, anything at a lower weight. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8';
const KEY = 'trib_test_explorer_7d41c9a0e2';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function get(url: string | URL, accept = BROWSER_ACCEPT, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, { headers: { accept, ...headers } });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The URLs the page names in `src` and `href`, resolved against the page's own URL. */
function assetUrls(html: string, pageUrl: string): URL[] {
  return [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((match) => match[1]!).filter((ref) => !ref.startsWith('data:')).map((ref) => new URL(ref, pageUrl));
}

function settingsOf(html: string): { query: string; headers?: string } {
  const json = /<script type="application\/json" id="explorer-settings">([^<]*)<\/script>/.exec(html)?.[1];
  if (json === undefined) throw new Error('the page carries no explorer settings');
  return JSON.parse(json) as { query: string; headers?: string };
}

/** Every source any directive of the policy allows. */
function cspSources(policy: string): string[] {
  return policy.split(';').flatMap((directive) => directive.trim().split(/\s+/).slice(1));
}

/** A file of an installed package, read as the gateway reads it. */
function packageFile(pkg: string, file: string): Buffer {
  const require = createRequire(import.meta.url);
  return readFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), file));
}

const sha256 = (bytes: Buffer | ArrayBuffer) => createHash('sha256').update(Buffer.from(bytes as ArrayBuffer)).digest('hex');

describe('the local explorer (EXPLORER=local, the default outside production)', () => {
  let stack: GatewayStack;
  let page: Answer;
  beforeAll(async () => {
    stack = await GatewayStack.start();
    page = await get(stack.url);
  });
  afterAll(() => stack.close());

  it('serves a browser opening /graphql a page that loads nothing from another origin', () => {
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toContain('<title>Tributary explorer</title>');
    expect(page.text).not.toMatch(/https?:\/\//i);
    expect(page.text).not.toMatch(/(src|href)="\/\//);
    const origin = new URL(stack.url).origin;
    const urls = assetUrls(page.text, stack.url);
    expect(urls.length).toBeGreaterThanOrEqual(6);
    for (const url of urls) expect(url.origin, url.href).toBe(origin);
    // Scripts by URL only: the policy allows no inline code, and the settings are data.
    for (const [script] of page.text.matchAll(/<script[^>]*>/g)) expect(script).toMatch(/ src="|type="application\/json"/);
  });

  it('sends a Content-Security-Policy that allows only the gateway itself', () => {
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("connect-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("base-uri 'none'");
    expect(new Set(cspSources(policy))).toEqual(new Set(["'none'", "'self'", "'unsafe-inline'", 'data:']));
    expect(policy.split(';').filter((directive) => directive.includes("'unsafe-inline'")).map((d) => d.trim().split(/\s+/)[0])).toEqual(['style-src']);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
  });

  it('preloads the Customer 360 query, and no credential while client auth is off', () => {
    expect(settingsOf(page.text)).toEqual({ query: SAMPLE_QUERY });
  });

  it('serves each asset with its type, cacheable for a year under a name that holds its hash', async () => {
    const urls = assetUrls(page.text, stack.url);
    for (const url of urls) {
      const response = await fetch(url);
      const body = await response.arrayBuffer();
      expect(response.status, url.pathname).toBe(200);
      expect(response.headers.get('content-type')).toMatch(url.pathname.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const hash = /\.([0-9a-f]{12})\.(?:js|css)$/.exec(url.pathname)?.[1];
      expect(hash, url.pathname).toBeDefined();
      expect(sha256(body).startsWith(hash!)).toBe(true);
    }
    const graphiql = urls.find((url) => /\/graphiql\.min\.[0-9a-f]{12}\.js$/.test(url.pathname));
    const react = urls.find((url) => /\/react\.production\.min\.[0-9a-f]{12}\.js$/.test(url.pathname));
    expect(sha256(await (await fetch(graphiql!)).arrayBuffer())).toBe(sha256(packageFile('graphiql', 'graphiql.min.js')));
    expect(sha256(await (await fetch(react!)).arrayBuffer())).toBe(sha256(packageFile('react', 'umd/react.production.min.js')));
  });

  it('answers 404, never a file, for a name it does not serve', async () => {
    const base = new URL(stack.url);
    for (const path of ['/explorer/assets/graphiql.min.js', '/explorer/assets/package.json', '/explorer/assets/..%2F..%2Fpackage.json', '/explorer/assets/%2E%2E%2Fexplorer-page.ts']) {
      const answer = await get(new URL(path, base), '*/*');
      expect(answer.status, path).toBe(404);
      expect(answer.headers.get('cache-control'), path).toBe('no-store');
    }
  });

  it('answers POST /graphql with data and a non-browser GET as before', async () => {
    const response = await stack.post('{ customers(first: 1) { edges { node { name } } } }');
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const off = await GatewayStack.start({ EXPLORER: 'off' });
    try {
      for (const accept of ['application/json', 'application/graphql-response+json', '*/*']) {
        const here = await get(stack.url, accept);
        const there = await get(off.url, accept);
        expect({ status: here.status, type: here.headers.get('content-type'), text: here.text }, accept).toEqual({ status: there.status, type: there.headers.get('content-type'), text: there.text });
        expect(here.status).toBe(400);
      }
    } finally {
      await off.close();
    }
  });
});

describe('the local explorer with client auth on', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await GatewayStack.start({ API_KEYS_FILE: apiKeysFile([{ key: KEY, client: 'explorer', tenant: 'sample', scopes: READ_SCOPES }]) });
  });
  afterAll(() => stack.close());

  it('serves the page and its assets without credentials, the headers editor asking for one', async () => {
    const page = await get(stack.url);
    expect(page.status).toBe(200);
    const { headers } = settingsOf(page.text);
    expect(JSON.parse(headers ?? '')).toEqual({ authorization: 'Bearer <an API key or a JWT>' });
    for (const url of assetUrls(page.text, stack.url)) expect((await get(url, '*/*')).status, url.pathname).toBe(200);
  });

  it('still refuses any operation without a credential, a browser\'s GET with a query included', async () => {
    const withQuery = new URL(stack.url);
    withQuery.searchParams.set('query', '{ __typename }');
    expect((await get(withQuery)).status).toBe(401);
    expect((await stack.post('{ __typename }')).status).toBe(401);
    expect((await stack.post('{ __typename }', {}, { authorization: `Bearer ${KEY}` })).status).toBe(200);
  });

  it('lets through without a credential only a GET that prefers HTML, as Apollo decides it', async () => {
    // JSON first: Apollo answers it as a GraphQL request, so it needs a credential (401, not a 500 from a missing principal).
    const jsonFirst = await get(stack.url, 'application/json, text/html');
    expect([jsonFirst.status, JSON.parse(jsonFirst.text).errors[0].extensions.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await get(stack.url, 'text/html, application/json;q=0.9')).status).toBe(200);
  });
});

describe('EXPLORER=apollo', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await GatewayStack.start({ EXPLORER: 'apollo' });
  });
  afterAll(() => stack.close());

  it('serves Apollo Sandbox, with only frame-ancestors in its policy so that it loads from Apollo\'s CDN, and no explorer assets', async () => {
    const page = await get(stack.url);
    expect(page.status).toBe(200);
    expect(page.text).toContain('embeddable-sandbox');
    expect(page.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect((await get(new URL('/explorer/assets/anything.js', stack.url), '*/*')).status).toBe(404);
  });
});

describe('no explorer: EXPLORER=off, and production by default', () => {
  it('answers a browser\'s GET as any other GET with EXPLORER=off', async () => {
    const stack = await GatewayStack.start({ EXPLORER: 'off' });
    try {
      const browser = await get(stack.url);
      const client = await get(stack.url, 'application/json');
      expect(browser.status).toBe(400);
      expect({ status: browser.status, text: browser.text }).toEqual({ status: client.status, text: client.text });
      expect(browser.headers.get('content-type')).toMatch(/^application\/json/);
    } finally {
      await stack.close();
    }
  });

  it('asks a browser for credentials in production unless EXPLORER is set, and serves the explorer when it is', async () => {
    const keys = apiKeysFile([{ key: KEY, client: 'explorer', tenant: 'sample', scopes: READ_SCOPES }]);
    const production = await GatewayStack.start({ NODE_ENV: 'production', API_KEYS_FILE: keys });
    try {
      const browser = await get(production.url);
      expect(browser.status).toBe(401);
      expect(browser.text).toBe((await get(production.url, 'application/json')).text);
      expect((await get(new URL('/explorer/assets/anything.js', production.url), '*/*')).status).toBe(404);
    } finally {
      await production.close();
    }
    const enabled = await GatewayStack.start({ NODE_ENV: 'production', API_KEYS_FILE: keys, EXPLORER: 'local' });
    try {
      const page = await get(enabled.url);
      expect(page.status).toBe(200);
      expect(page.text).toContain('<title>Tributary explorer</title>');
    } finally {
      await enabled.close();
    }
  });
});
