import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeysFile, bearer, READ_SCOPES } from '../support/auth.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { scrape, total } from '../support/prometheus-text.ts';

const TOKEN = 'metrics-scrape-token-0123456789';

describe('who may scrape /metrics', () => {
  it('serves the text format to anyone outside production, beside /graphql', async () => {
    const stack = await GatewayStack.start();
    try {
      expect(stack.gateway.metricsUrl).toBe(new URL('/metrics', stack.url).toString());
      const scraped = await scrape(stack.gateway.metricsUrl!);
      expect(scraped.status).toBe(200);
      expect(scraped.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(scraped.text).toContain('# TYPE tributary_upstream_requests_total counter');
    } finally {
      await stack.close();
    }
  });

  it('asks for METRICS_TOKEN as a bearer token when it is set', async () => {
    const stack = await GatewayStack.start({ METRICS_TOKEN: TOKEN });
    try {
      const url = stack.gateway.metricsUrl!;
      const none = await scrape(url);
      expect(none.status).toBe(401);
      expect(none.text).not.toContain('tributary_');
      expect((await scrape(url, bearer(`${TOKEN}x`))).status).toBe(401);
      expect((await scrape(url, bearer(TOKEN.slice(0, -1)))).status).toBe(401);
      const ok = await scrape(url, bearer(TOKEN));
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('tributary_breaker_state');
    } finally {
      await stack.close();
    }
  });

  it('serves /metrics on METRICS_PORT only, not beside /graphql', async () => {
    const stack = await GatewayStack.start({ METRICS_PORT: '0' });
    try {
      const url = stack.gateway.metricsUrl!;
      expect(new URL(url).port).not.toBe(new URL(stack.url).port);
      expect((await scrape(url)).status).toBe(200);
      expect((await scrape(new URL('/metrics', stack.url).toString())).status).toBe(404);
      expect((await scrape(new URL('/graphql', url).toString())).status).toBe(404);
    } finally {
      await stack.close();
    }
  });

  describe('with client auth configured (staging: API_KEYS_FILE, NODE_ENV unset) and neither METRICS_TOKEN nor METRICS_PORT', () => {
    let stack: GatewayStack;
    beforeAll(async () => {
      const keys = apiKeysFile([{ key: 'metrics-oncall-key', client: 'oncall', tenant: 'sample', scopes: ['ops:read'] }]);
      stack = await GatewayStack.start({ API_KEYS_FILE: keys });
    });
    afterAll(() => stack.close());

    it('refuses every scrape with 403, naming the two ways to expose metrics, and said so once at start', async () => {
      for (const headers of [{}, bearer('metrics-oncall-key')]) {
        const scraped = await scrape(stack.gateway.metricsUrl!, headers);
        expect(scraped.status).toBe(403);
        expect(scraped.text).not.toContain('tributary_');
        expect(JSON.parse(scraped.text)).toEqual({ error: expect.stringMatching(/METRICS_TOKEN.*METRICS_PORT/), code: 'FORBIDDEN' });
      }
      const warned = stack.logs.filter((line) => line.includes('metrics are not exposed'));
      expect(warned).toHaveLength(1);
      expect(JSON.parse(warned[0]!)).toMatchObject({ level: 40 });
    });
  });

  it('binds the METRICS_PORT server to 127.0.0.1 unless METRICS_HOST says otherwise, and logs its scrapes at debug only', async () => {
    const keys = apiKeysFile([{ key: 'metrics-oncall-key', client: 'oncall', tenant: 'sample', scopes: ['ops:read'] }]);
    // The gateway itself on every interface: the metrics port stays on loopback.
    const stack = await GatewayStack.start({ HOST: '0.0.0.0', METRICS_PORT: '0', API_KEYS_FILE: keys });
    try {
      const url = new URL(stack.gateway.metricsUrl!);
      expect(url.hostname).toBe('127.0.0.1');
      const before = stack.logs.length;
      expect((await scrape(url.toString())).status).toBe(200);
      expect(stack.logs.slice(before).filter((line) => (JSON.parse(line) as { level: number }).level >= 30)).toEqual([]);
    } finally {
      await stack.close();
    }
  });

  it('is not served at all with METRICS=off', async () => {
    const stack = await GatewayStack.start({ METRICS: 'off' });
    try {
      expect(stack.gateway.metricsUrl).toBeUndefined();
      expect((await scrape(new URL('/metrics', stack.url).toString())).status).toBe(404);
    } finally {
      await stack.close();
    }
  });
});

describe('operation labels', () => {
  it('labels at most METRICS_MAX_OPERATIONS names and counts the rest as other; anonymous and invalid ones take no slot', async () => {
    const stack = await GatewayStack.start({ METRICS_MAX_OPERATIONS: '2' });
    try {
      await stack.query('{ __typename }');
      await stack.query('query Broken { nope }');
      for (const name of ['First', 'Second', 'Third', 'Fourth', 'First']) await stack.query(`query ${name} { __typename }`);
      const { samples } = await scrape(stack.gateway.metricsUrl!);
      const requests = samples.filter((s) => s.name === 'tributary_graphql_requests_total');
      expect(Object.fromEntries(requests.map((s) => [`${s.labels['operation']}/${s.labels['type']}`, s.value]))).toEqual({
        'anonymous/query': 1,
        // Did not validate: never resolved to an operation, nor to a type.
        'invalid/unknown': 1,
        'First/query': 2,
        'Second/query': 1,
        'other/query': 2,
      });
      expect(total(samples, 'tributary_graphql_errors_total', { operation: 'invalid', code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    } finally {
      await stack.close();
    }
  });

  it('never labels with the operationName a client sends: junk names and huge ones leave the slots and the scrape alone', async () => {
    const stack = await GatewayStack.start({ METRICS_MAX_OPERATIONS: '2' });
    try {
      const post = (body: Record<string, unknown>) => fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      // Names the document does not have, or with a document that does not parse: no operation ran.
      for (let i = 0; i < 5; i++) await (await post({ query: '{ __typename }', operationName: `Junk${i}` })).text();
      await (await post({ query: '{ __typename ', operationName: 'Unparsed' })).text();
      await (await post({ query: '{ __typename }', operationName: `Q${'x'.repeat(20_000)}` })).text();
      // A valid operation whose name is longer than a label may be.
      const long = `Q${'x'.repeat(100)}`;
      await (await post({ query: `query ${long} { __typename }`, operationName: long })).text();
      await stack.query('query Real { __typename }');
      const scraped = await scrape(stack.gateway.metricsUrl!);
      const requests = scraped.samples.filter((s) => s.name === 'tributary_graphql_requests_total');
      expect(Object.fromEntries(requests.map((s) => [`${s.labels['operation']}/${s.labels['type']}`, s.value]))).toEqual({
        'invalid/unknown': 7,
        'other/query': 1,
        'Real/query': 1,
      });
      expect(scraped.text).not.toContain('Junk');
      expect(scraped.text).not.toContain('xxxxxxxx');
    } finally {
      await stack.close();
    }
  });
});
