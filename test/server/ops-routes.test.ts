import Fastify, { type FastifyInstance } from 'fastify';
import { Gauge, Registry } from 'prom-client';
import { Agent, request as undiciRequest } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKeyRegistry, apiKeyDigest } from '../../src/auth/api-key-registry.ts';
import { Authenticator } from '../../src/auth/authenticator.ts';
import type { OpsSnapshot } from '../../src/ops/ops-snapshot.ts';
import { registerOpsRoutes, type OpsRoutesOptions } from '../../src/server/ops-routes.ts';
import { bearer } from '../support/auth.ts';
import { eventually } from '../support/eventually.ts';
import { GatewayStack } from '../support/gateway-stack.ts';

const OPS_KEY = 'trib_test_ops_reader_5e1a';
const READER_KEY = 'trib_test_reader_no_ops_77b0';

/** A registry with one gauge per tenant, which the test moves. */
function registryWithBreakers() {
  const registry = new Registry();
  const breaker = new Gauge({ name: 'tributary_breaker_state', help: 'h', labelNames: ['provider', 'tenant'], registers: [registry] });
  breaker.set({ provider: 'stripe', tenant: 'acme' }, 0);
  breaker.set({ provider: 'stripe', tenant: 'globex' }, 2);
  return { registry, breaker };
}

const OPERATOR_TOKEN = 'ops-operator-token-0123456789';

type Authenticate = OpsRoutesOptions['authenticate'];

async function serve(registry: Registry, guarded: boolean, authenticate?: Authenticate): Promise<{ app: FastifyInstance; base: string }> {
  const authenticator = new Authenticator({
    apiKeys: new ApiKeyRegistry([
      { client: 'oncall', tenant: 'acme', scopes: ['ops:read'], sha256: apiKeyDigest(OPS_KEY) },
      { client: 'app', tenant: 'acme', scopes: ['customers:read'], sha256: apiKeyDigest(READER_KEY) },
    ]),
  });
  const app = Fastify({ logger: false });
  await registerOpsRoutes(app, {
    registry,
    protected: guarded,
    operatorToken: OPERATOR_TOKEN,
    authenticate:
      authenticate ??
      (async (req) => {
        const outcome = await authenticator.authenticate(req.headers);
        return 'principal' in outcome ? outcome.principal : undefined;
      }),
    log: app.log,
    intervalMs: 20,
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base: address };
}

/** Reads `data:` events from an open /ops/stream until `enough` says stop. */
async function readEvents(body: AsyncIterable<Buffer>, enough: (events: OpsSnapshot[]) => boolean): Promise<OpsSnapshot[]> {
  const events: OpsSnapshot[] = [];
  let buffered = '';
  for await (const chunk of body) {
    buffered += chunk.toString('utf8');
    let end;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      events.push(JSON.parse(buffered.slice(0, end).replace(/^data: /, '')) as OpsSnapshot);
      buffered = buffered.slice(end + 2);
    }
    if (enough(events)) break;
  }
  return events;
}

/**
 * Each test's own connection pool, closed before its server: a pool may hold a connection it
 * opened ahead of a request, which the server waits on until its headers timeout.
 */
let agent = new Agent();
const request = (url: string, options: { headers?: Record<string, string>; signal?: AbortSignal } = {}) => undiciRequest(url, { ...options, dispatcher: agent });

describe('the /ops routes', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await agent.close();
    agent = new Agent();
    await app?.close();
    app = undefined;
  });

  it('serve the page, its script and uPlot from the installed package, with a CSP that allows only its own files', async () => {
    const served = await serve(new Registry(), false);
    app = served.app;
    const page = await request(`${served.base}/ops`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const html = await page.body.text();
    expect(html).toContain('/ops/assets/ops-page.js');
    for (const file of ['ops-page.js', 'ops-rates.js', 'ops-page.css', 'uPlot.esm.js', 'uPlot.min.css']) {
      const asset = await request(`${served.base}/ops/assets/${file}`);
      expect(asset.statusCode, file).toBe(200);
      expect(asset.headers['content-type']).toMatch(file.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      await asset.body.dump();
    }
    for (const file of ['ops-rates.d.ts', 'index.html', '..%2Fops-feed.ts', '..%2F..%2F..%2Fpackage.json']) {
      const missing = await request(`${served.base}/ops/assets/${file}`);
      expect(missing.statusCode, file).toBe(404);
      await missing.body.dump();
    }
  });

  it('answer a snapshot of the registry, and stream one at once and then one per interval as the registry moves', async () => {
    const { registry, breaker } = registryWithBreakers();
    const served = await serve(registry, false);
    app = served.app;
    const snapshot = await request(`${served.base}/ops/snapshot`);
    expect(((await snapshot.body.json()) as OpsSnapshot).providers.stripe.breakers).toEqual({ acme: 'closed', globex: 'open' });

    const stream = await request(`${served.base}/ops/stream`);
    expect(stream.statusCode).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    let moved = false;
    const events = await readEvents(stream.body, (seen) => {
      if (!moved && seen.length >= 1) {
        breaker.set({ provider: 'stripe', tenant: 'acme' }, 2);
        moved = true;
      }
      return seen.at(-1)?.providers.stripe.breakers['acme'] === 'open';
    });
    expect(events[0]?.providers.stripe.breakers['acme']).toBe('closed');
    expect(events.length).toBeGreaterThanOrEqual(2);
    stream.body.destroy();
  });

  it('end open streams when the server closes, so close() does not wait on them', async () => {
    const served = await serve(new Registry(), false);
    const stream = await request(`${served.base}/ops/stream`);
    const ended = (async () => {
      for await (const chunk of stream.body) void chunk;
      return 'ended';
    })();
    await served.app.close();
    await expect(ended).resolves.toBe('ended');
  });

  it('when protected, answer 401 without a key, 403 without ops:read, and the caller\'s own tenant only', async () => {
    const { registry } = registryWithBreakers();
    const served = await serve(registry, true);
    app = served.app;
    for (const path of ['/ops/snapshot', '/ops/stream']) {
      const anonymous = await request(`${served.base}${path}`);
      expect(anonymous.statusCode, path).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="tributary"');
      await anonymous.body.dump();
      const reader = await request(`${served.base}${path}`, { headers: bearer(READER_KEY) });
      expect(reader.statusCode, path).toBe(403);
      await reader.body.dump();
    }
    const own = await request(`${served.base}/ops/snapshot`, { headers: bearer(OPS_KEY) });
    expect(own.statusCode).toBe(200);
    expect(((await own.body.json()) as OpsSnapshot).providers.stripe.breakers).toEqual({ acme: 'closed' });
    const stream = await request(`${served.base}/ops/stream`, { headers: { 'x-api-key': OPS_KEY } });
    const [first] = await readEvents(stream.body, (seen) => seen.length >= 1);
    expect(first?.providers.stripe.breakers).toEqual({ acme: 'closed' });
    stream.body.destroy();
    // METRICS_TOKEN is the operator's: every tenant.
    const operator = await request(`${served.base}/ops/snapshot`, { headers: bearer(OPERATOR_TOKEN) });
    expect(((await operator.body.json()) as OpsSnapshot).providers.stripe.breakers).toEqual({ acme: 'closed', globex: 'open' });
    const wrong = await request(`${served.base}/ops/snapshot`, { headers: bearer(`${OPERATOR_TOKEN}x`) });
    expect(wrong.statusCode).toBe(401);
    await wrong.body.dump();
    // The page itself holds no data: it loads, then asks for a key.
    const page = await request(`${served.base}/ops`);
    expect(page.statusCode).toBe(200);
    await page.body.dump();
  });

  it('subscribe no stream whose client left while its credentials were being checked', async () => {
    let snapshots = 0;
    const registry = new Registry();
    new Gauge({ name: 'tributary_bulkhead_in_flight', help: 'h', registers: [registry], collect: () => void (snapshots += 1) });
    let checking!: () => void;
    const checked = new Promise<void>((resolve) => (checking = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // A slow JWKS fetch, as it were: held until the client has gone.
    const served = await serve(registry, true, async () => {
      checking();
      await released;
      return { kind: 'api-key', clientId: 'oncall', tenantId: 'acme', scopes: new Set(['ops:read'] as const) };
    });
    app = served.app;
    const abort = new AbortController();
    const pending = request(`${served.base}/ops/stream`, { signal: abort.signal }).catch(() => 'aborted');
    await checked;
    abort.abort();
    await expect(pending).resolves.toBe('aborted');
    await eventually(async () => (await new Promise<number>((resolve, reject) => served.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))))) === 0);
    release();
    // A subscribed stream would have been sent a snapshot at once, and then one per 20 ms.
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(snapshots).toBe(0);
  });

  it('let a client that leaves take its connection with it', async () => {
    const served = await serve(new Registry(), false);
    app = served.app;
    const stream = await request(`${served.base}/ops/stream`);
    await readEvents(stream.body, (seen) => seen.length >= 1);
    stream.body.destroy();
    // No stream left open: the server has no connection to wait for.
    await eventually(async () => (await new Promise<number>((resolve, reject) => served.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))))) === 0);
  });
});

describe('the gateway\'s /ops page', () => {
  it('is served by the embedded default, open as every route of it is, and its open streams do not hold the gateway\'s close', async () => {
    const stack = await GatewayStack.start();
    let stream: Awaited<ReturnType<typeof request>> | undefined;
    try {
      const origin = new URL(stack.url).origin;
      const page = await request(`${origin}/ops`);
      expect(page.statusCode).toBe(200);
      await page.body.dump();
      const snapshot = await request(`${origin}/ops/snapshot`);
      expect(snapshot.statusCode).toBe(200);
      expect(Object.keys(((await snapshot.body.json()) as OpsSnapshot).providers)).toEqual(['customers', 'stripe', 'hubspot']);
      stream = await request(`${origin}/ops/stream`);
      expect(stream.statusCode).toBe(200);
    } finally {
      const ended = stream && (async () => {
        for await (const chunk of stream.body) void chunk;
        return 'ended';
      })();
      await stack.close();
      if (ended) await expect(ended).resolves.toBe('ended');
    }
  });
});
