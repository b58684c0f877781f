import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Principal } from '../auth/principal.ts';
import { bearerMatcher } from './metrics-access.ts';
import { loadDashboardAssets } from '../ops/dashboard-assets.ts';
import { OpsFeed } from '../ops/ops-feed.ts';
import { opsSnapshot } from '../ops/ops-snapshot.ts';

export interface OpsRoutesOptions {
  registry: Registry;
  /**
   * Client auth configured or production: the snapshot and the stream need METRICS_TOKEN (every
   * tenant, as /metrics) or a principal with `ops:read` (its own tenant's figures only).
   */
  protected: boolean;
  /** METRICS_TOKEN: the operator's credential, a secret. */
  operatorToken?: string | undefined;
  authenticate(request: FastifyRequest): Promise<Principal | undefined>;
  log: FastifyBaseLogger;
  now?: () => number;
  /** Between two snapshots on /ops/stream (default 1 s). */
  intervalMs?: number;
}

/** A stream whose client reads slower than this many bytes behind skips snapshots until it catches up. */
const MAX_UNREAD_BYTES = 256 * 1024;

/**
 * The live ops page: GET /ops (the HTML), /ops/assets/<file> (its script and styles, uPlot's
 * included), /ops/snapshot (one JSON snapshot) and /ops/stream (Server-Sent Events, one snapshot
 * per second). The page and its assets hold no data and are public, like the explorer's page; the
 * data routes, when protected, take METRICS_TOKEN or the same credentials as /graphql, in a
 * header. The page sends them with fetch(), not EventSource, which cannot set a header: a key in
 * a URL would end in access logs.
 */
export async function registerOpsRoutes(fastify: FastifyInstance, options: OpsRoutesOptions): Promise<void> {
  const { page, assets } = loadDashboardAssets();
  const now = options.now ?? Date.now;
  const snapshot = (tenant: string | undefined) => opsSnapshot(options.registry, { now, ...(tenant === undefined ? {} : { tenant }) });
  const isOperator = bearerMatcher(options.operatorToken);
  const feed = new OpsFeed({
    snapshot,
    onError: (error) => options.log.warn({ err: error }, 'an ops snapshot failed'),
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
  });
  // Before the HTTP server closes: it waits for open responses, and a stream never ends by itself.
  fastify.addHook('preClose', (done) => {
    feed.close();
    done();
  });

  /** Who may read, and which tenant's view; undefined once the refusal is sent. */
  const access = async (request: FastifyRequest, reply: FastifyReply): Promise<{ tenant: string | undefined; expiresAt?: number } | undefined> => {
    if (!options.protected || isOperator(request)) return { tenant: undefined };
    const principal = await options.authenticate(request);
    if (!principal) {
      await reply.code(401).header('www-authenticate', 'Bearer realm="tributary"').send({ error: 'authentication required', code: 'UNAUTHENTICATED' });
      return undefined;
    }
    if (!principal.scopes.has('ops:read')) {
      await reply.code(403).send({ error: 'the ops:read scope is required', code: 'FORBIDDEN' });
      return undefined;
    }
    return { tenant: principal.tenantId, ...(principal.expiresAt === undefined ? {} : { expiresAt: principal.expiresAt }) };
  };

  await fastify.register(async (ops) => {
    // In this plugin only, after the gateway's own onSend hook (which gives HTML the landing
    // page's policy, the explorer's or Apollo's sandbox's): the page loads its own files and nothing else.
    ops.addHook('onSend', (_request, reply, payload, done) => {
      if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) void reply.header('content-security-policy', PAGE_CSP);
      done(null, payload);
    });

    ops.get('/ops', async (_request, reply) => reply.type(page.contentType).send(page.body));
    ops.get<{ Params: { file: string } }>('/ops/assets/:file', async (request, reply) => {
      const asset = assets.get(request.params.file);
      if (!asset) return reply.code(404).send({ error: 'no such asset', code: 'NOT_FOUND' });
      return reply.type(asset.contentType).send(asset.body);
    });
    ops.get('/ops/snapshot', async (request, reply) => {
      const allowed = await access(request, reply);
      if (!allowed) return reply;
      return snapshot(allowed.tenant);
    });
    ops.get('/ops/stream', async (request, reply) => {
      const allowed = await access(request, reply);
      if (!allowed) return reply;
      reply.hijack();
      // A client that left while its credentials were checked (a JWKS fetch) fired 'close' before
      // anyone listened: subscribed now, its stream would be fed every second, forever.
      if (request.raw.destroyed || request.raw.socket.destroyed) return reply;
      const stream = reply.raw;
      stream.writeHead(200, SSE_HEADERS);
      const stop = feed.subscribe({
        tenant: allowed.tenant,
        send: (current) => {
          // A JWT's stream ends with the token: the client reconnects with a fresh one.
          if (allowed.expiresAt !== undefined && now() >= allowed.expiresAt) return void stream.end();
          if (stream.writableLength <= MAX_UNREAD_BYTES) stream.write(`data: ${JSON.stringify(current)}\n\n`);
        },
        end: () => void stream.end(),
      });
      stream.on('close', stop);
      return reply;
    });
  });
}

/** `img-src data:` for the page's empty icon, which spares the browser a request for /favicon.ico. */
const PAGE_CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** https://html.spec.whatwg.org/multipage/server-sent-events.html; `no-transform` and X-Accel-Buffering keep proxies from holding events back. */
const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  // Not kept alive once ended: an ended stream's connection would otherwise be left idle after the
  // server closed its idle ones, and hold close() until the keep-alive timeout.
  connection: 'close',
  'cache-control': 'no-store, no-transform',
  'x-accel-buffering': 'no',
  'x-content-type-options': 'nosniff',
};
