import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.ts';
import type { UpstreamReport } from '../upstream/upstream-report.ts';

const RECORD = Symbol('tributary.requestRecord');

type RecordedRequest = FastifyRequest & { [RECORD]: RequestRecord | null };

/**
 * What the access line says of a GraphQL request beyond HTTP, filled in by those who know it:
 * the context builder (the report), the request-log plugin (the operation's name), the result
 * cache (a replay). Shared by Apollo's shallow copies of the context, like `idempotency`.
 */
export interface RequestRecord {
  /** The request's own logger: every line it writes carries the request id. */
  readonly log: FastifyBaseLogger;
  operationName: string | undefined;
  report: UpstreamReport | undefined;
  /**
   * Answered without running the operation: replayed by the result cache, or given the answer of
   * the identical operation in flight (answers-in-flight.ts).
   */
  reused: 'cache' | 'shared' | undefined;
}

export interface AccessLog {
  /** The request's record, made on first use. */
  recordOf(request: FastifyRequest): RequestRecord;
}

export interface AccessLogOptions {
  /** ACCESS_LOG: the line itself; the request id header is echoed either way. */
  enabled: boolean;
  /** The request's principal, when authentication ran and let it through. */
  principalOf: (request: FastifyRequest) => Principal | undefined;
}

/** pino's level values (FastifyBaseLogger's type has the level's name, not pino's isLevelEnabled). */
const LEVEL_VALUES: Readonly<Record<string, number | undefined>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** Load balancers (and Prometheus, /metrics) ask these every few seconds: their lines would bury the others at info. */
const HEALTH_CHECKS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Echoes the request id (`x-request-id`) on every answer, errors and 404s included (an onRequest
 * hook, registered before any other, so even a refusal carries it), and writes one access line
 * per request when the answer has gone: Fastify's own pair of lines per request stays off
 * (create-gateway.ts) and this single one says what they did not (operation, client, tenant,
 * upstream calls). Callback hooks: no promise per request.
 */
export function registerAccessLog(fastify: FastifyInstance, options: AccessLogOptions): AccessLog {
  // A slot declared once, so that every request keeps one shape (as auth-hook.ts does).
  fastify.decorateRequest(RECORD, null);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  if (options.enabled) {
    fastify.addHook('onResponse', (request, reply, done) => {
      const path = pathOf(request.url);
      const level = HEALTH_CHECKS.has(path) ? 'debug' : 'info';
      // Below the logger's level (the bench runs at warn) the line is not built at all: pino would
      // drop it, but only after this hook had looked up the principal and made its fields.
      if ((LEVEL_VALUES[level] ?? 0) < (LEVEL_VALUES[request.log.level] ?? 0)) return done();
      const record = (request as RecordedRequest)[RECORD];
      const principal = options.principalOf(request);
      const fields = {
        method: request.method,
        path,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
        ...(principal ? { client: principal.clientId, tenant: principal.tenantId } : {}),
        ...(record ? recordFields(record) : {}),
      };
      request.log[level](fields, 'request completed');
      done();
    });
  }
  return {
    recordOf: (request) => {
      const slot = request as RecordedRequest;
      return (slot[RECORD] ??= { log: request.log, operationName: undefined, report: undefined, reused: undefined });
    },
  };
}

function recordFields(record: RequestRecord): object {
  if (record.reused === 'cache') return { operation: record.operationName ?? null, resultCache: 'hit' };
  if (record.reused === 'shared') return { operation: record.operationName ?? null, sharedAnswer: true };
  return { operation: record.operationName ?? null, upstream: record.report?.callsByProvider() ?? {} };
}

/** The path alone: a query string may carry a GET operation's variables, or a token someone put there. */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
