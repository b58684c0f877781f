import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import type { MetricsConfig } from '../config.ts';
import { registerAccessLog } from './access-log.ts';
import type { httpServerOptions } from './http-hygiene.ts';
import { bearerMatcher } from './metrics-access.ts';

const CHALLENGE = 'Bearer realm="tributary"';

export interface MetricsRouteOptions {
  registry: Registry;
  config: MetricsConfig;
  /** Client auth configured or production: /metrics is for operators only (see below). */
  protected: boolean;
}

/**
 * GET /metrics in Prometheus's text format 0.0.4. Its series show every tenant, so it is an
 * operator endpoint, never a client's: first rule that applies: METRICS_TOKEN set: that bearer
 * token, else 401; served on METRICS_PORT: anyone who reaches that port (an interface kept off
 * the public network, METRICS_HOST, is the access control); not protected (no client auth, not
 * production: the embedded default): anyone; otherwise 403, naming the two ways to expose it.
 * The series name tenants and providers, never ids or secrets.
 */
export function registerMetricsRoute(fastify: FastifyInstance, { registry, config, protected: guarded }: MetricsRouteOptions, onOwnPort = false): void {
  const tokenSent = bearerMatcher(config.token);
  fastify.get('/metrics', async (request, reply) => {
    if (config.token !== undefined && !tokenSent(request)) return refuse(reply, 401, 'authentication required', 'UNAUTHENTICATED');
    if (config.token === undefined && guarded && !onOwnPort) return refuse(reply, 403, 'metrics are not exposed: set METRICS_TOKEN (a bearer token scrapes must send) or METRICS_PORT (a port of their own, on METRICS_HOST)', 'FORBIDDEN');
    const text = await registry.metrics();
    return reply.header('cache-control', 'no-store').type(registry.contentType).send(text);
  });
}

/** Whether /metrics, so configured, refuses every scrape: the gateway says so once at start. */
export function metricsUnexposed(config: MetricsConfig, guarded: boolean): boolean {
  return config.enabled && guarded && config.token === undefined && config.port === undefined;
}

function refuse(reply: FastifyReply, status: 401 | 403, error: string, code: string): FastifyReply {
  if (status === 401) void reply.header('www-authenticate', CHALLENGE);
  return reply.code(status).header('cache-control', 'no-store').send({ error, code });
}

export interface MetricsServerOptions extends MetricsRouteOptions {
  host: string;
  port: number;
  log: FastifyBaseLogger;
  /** The main server's timeouts: this port faces the same slow or idle clients. */
  serverOptions: ReturnType<typeof httpServerOptions>;
  /** ACCESS_LOG: scrapes are logged as on PORT, one line each at debug. */
  accessLog: boolean;
}

/** METRICS_PORT: a server of its own that serves /metrics only, on METRICS_HOST. Resolves with its base URL. */
export async function listenForMetrics(options: MetricsServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  // Scrapes come every few seconds: one access line each at debug, as /metrics on PORT, not Fastify's two at info.
  const server = Fastify({ ...options.serverOptions, loggerInstance: options.log, logController: new LogController({ disableRequestLogging: true }) });
  registerAccessLog(server, { enabled: options.accessLog, principalOf: () => undefined });
  registerMetricsRoute(server, options, true);
  const address = await server.listen({ port: options.port, host: options.host });
  const wildcard = options.host === '0.0.0.0' || options.host === '::';
  return { url: wildcard ? `http://localhost:${new URL(address).port}/metrics` : new URL('/metrics', address).toString(), close: () => server.close() };
}
