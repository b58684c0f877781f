import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { FastifyBaseLogger } from 'fastify';
import { ErrorCode, isPublicCode, isUpstreamError, publicErrorOf, type RateLimitedError } from '../errors.ts';
import type { PersonalDataRedactor } from '../ops/personal-data-redactor.ts';
import { wasReported } from '../upstream/reported-failures.ts';

/**
 * Which resolver errors reach the log, and how often. Upstream failures are logged where they
 * happen, once per attempt (src/ops/log-telemetry.ts), and the gateway's own refusals (open
 * circuit, deadline, spent quota) follow from lines written already: logged here per field, one
 * HubSpot outage gave 181 lines for 7 requests. What is left: an upstream error no attempt
 * reported (a body that fails its wire schema, a batch's partial failure), once per error object
 * however many fields it fed, its detail masked; and every unexpected error, which is a bug.
 */
export class ResolverErrorLog {
  private readonly logged = new WeakSet<Error>();

  constructor(
    /** For errors outside any request (subscriptions' events); a request's own logger otherwise. */
    private readonly fallback: FastifyBaseLogger,
    private readonly redactor: PersonalDataRedactor,
  ) {}

  /** `code`: the code the formatted error carries; `log`: the request's logger, when there is one. */
  record(original: unknown, code: unknown, path: GraphQLFormattedError['path'], log: FastifyBaseLogger = this.fallback): void {
    if (publicErrorOf(original)) {
      if (!isUpstreamError(original) || original.byGateway || wasReported(original) || this.logged.has(original)) return;
      this.logged.add(original);
      const detail = original.detail === undefined ? undefined : this.redactor.redact(original.detail);
      log.warn({ provider: original.provider, code: original.code, detail, path }, original.message);
      return;
    }
    // GraphQL's own request errors (parse, validation, bad variables) are the client's business.
    if (isPublicCode(code) && code !== ErrorCode.InternalServerError) return;
    log.error({ err: original, path }, 'unexpected error while resolving');
  }
}

/**
 * The one error boundary, and the only place a gateway error becomes a GraphQL error. Errors
 * with a public code pass with their public extensions; GraphQL's own request errors (parse,
 * validation, bad variables) pass as Apollo labelled them; anything else is masked as
 * INTERNAL_SERVER_ERROR, so no stack trace or internal message reaches a client. `errors`: where
 * they are logged; without it (HTTP, whose request-log plugin logs them with the request's own
 * logger) it only formats.
 */
export function createFormatError(errors?: ResolverErrorLog) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = originalOf(error);
    const code = formatted.extensions?.['code'];
    errors?.record(original, code, formatted.path);
    const where = {
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
    };
    const gatewayError = publicErrorOf(original);
    if (gatewayError) return { message: gatewayError.message, ...where, extensions: gatewayError.extensions };
    // Apollo labels every unknown throw INTERNAL_SERVER_ERROR but keeps its message: mask those.
    if (isPublicCode(code) && code !== ErrorCode.InternalServerError) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    return { message: 'Internal server error', ...where, extensions: { code: ErrorCode.InternalServerError } };
  };
}

/**
 * What an Apollo plugin throws to stop an operation before it runs (didResolveOperation): the
 * GraphQL error Apollo expects, whose `extensions.http` sets the answer's status and headers
 * (Apollo takes `http` out before formatError, which then formats the original as usual).
 * RATE_LIMITED is a 429 with Retry-After and the RateLimit fields; anything else, Apollo's 500.
 */
export function operationErrorOf(error: unknown): GraphQLError {
  const original = error instanceof Error ? error : new Error(String(error));
  const code = (original as { code?: unknown }).code;
  const http =
    code === ErrorCode.RateLimited ? { status: 429, headers: new Map(Object.entries((original as RateLimitedError).headers).map(([name, value]) => [name.toLowerCase(), value])) } : undefined;
  return new GraphQLError(original.message, { originalError: original, extensions: { ...publicErrorOf(original)?.extensions, ...(http ? { http } : {}) } });
}

/**
 * What a resolver threw, from graphql-js's located wrapper. Read by shape rather than with
 * Apollo's `unwrapResolverError`, whose `instanceof GraphQLError` fails when two copies of
 * graphql are loaded (its ESM and CommonJS builds).
 */
export function originalOf(error: unknown): unknown {
  const inner = (error as { originalError?: unknown } | null)?.originalError;
  return inner instanceof Error ? inner : error;
}
