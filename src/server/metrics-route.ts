import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Principal } from '../auth/principal.ts';
import type { MetricsConfig } from '../config.ts';

const CHALLENGE = 'Bearer realm="tributary"';

export interface MetricsRouteOptions {
  registry: Registry;
  config: MetricsConfig;
  production: boolean;
  /** The request's principal when it carries valid client credentials (production's `ops:read`). */
  authenticate(request: FastifyRequest): Promise<Principal | undefined>;
}

/**
 * GET /metrics in Prometheus's text format 0.0.4. Who may scrape, first rule that applies:
 * METRICS_TOKEN set: that bearer token, else 401; METRICS_PORT set: anyone who reaches that port
 * (an address kept off the public network is the access control); production: a client principal
 * with `ops:read` (401 without credentials, 403 without the scope); otherwise anyone (embedded,
 * development). The series name tenants and providers, never ids or secrets.
 */
export function registerMetricsRoute(fastify: FastifyInstance, { registry, config, production, authenticate }: MetricsRouteOptions): void {
  const token = config.token === undefined ? undefined : Buffer.from(`Bearer ${config.token}`);
  const admitted = async (request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    if (token !== undefined) {
      const sent = Buffer.from(request.headers.authorization ?? '');
      if (sent.length === token.length && timingSafeEqual(sent, token)) return true;
      await refuse(reply, 401);
      return false;
    }
    if (config.port !== undefined || !production) return true;
    const principal = await authenticate(request);
    if (principal?.scopes.has('ops:read')) return true;
    await refuse(reply, principal ? 403 : 401);
    return false;
  };
  fastify.get('/metrics', async (request, reply) => {
    if (!(await admitted(request, reply))) return reply;
    const text = await registry.metrics();
    return reply.header('cache-control', 'no-store').type(registry.contentType).send(text);
  });
}

function refuse(reply: FastifyReply, status: 401 | 403): FastifyReply {
  if (status === 401) void reply.header('www-authenticate', CHALLENGE);
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('text/plain; charset=utf-8')
    .send(status === 401 ? 'authentication required\n' : 'the ops:read scope is required\n');
}

/** METRICS_PORT: a server of its own that serves /metrics only, on HOST. Resolves with its base URL. */
export async function listenForMetrics(options: MetricsRouteOptions & { host: string; port: number; log: FastifyBaseLogger }): Promise<{ url: string; close(): Promise<void> }> {
  const server = Fastify({ loggerInstance: options.log });
  registerMetricsRoute(server, options);
  const address = await server.listen({ port: options.port, host: options.host });
  const wildcard = options.host === '0.0.0.0' || options.host === '::';
  return { url: wildcard ? `http://localhost:${new URL(address).port}/metrics` : new URL('/metrics', address).toString(), close: () => server.close() };
}
