import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { FastifyBaseLogger } from 'fastify';
import { ErrorCode, isPublicCode, isUpstreamError, publicErrorOf, type RateLimitedError } from '../errors.ts';

/**
 * The one error boundary, and the only place a gateway error becomes a GraphQL error. Errors
 * with a public code pass with their public extensions (upstream failures are logged with their
 * detail, which clients do not see); GraphQL's own request errors (parse, validation, bad
 * variables) pass as Apollo labelled them; anything else is logged and masked as
 * INTERNAL_SERVER_ERROR, so no stack trace or internal message reaches a client.
 */
export function createFormatError(logger: FastifyBaseLogger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = originalOf(error);
    const where = {
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
    };
    const gatewayError = publicErrorOf(original);
    if (gatewayError) {
      if (isUpstreamError(original)) {
        logger.warn({ provider: original.provider, code: original.code, detail: original.detail, path: formatted.path }, original.message);
      }
      return { message: gatewayError.message, ...where, extensions: gatewayError.extensions };
    }
    const code = formatted.extensions?.['code'];
    // Apollo labels every unknown throw INTERNAL_SERVER_ERROR but keeps its message: mask those.
    if (isPublicCode(code) && code !== ErrorCode.InternalServerError) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error while resolving');
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
function originalOf(error: unknown): unknown {
  const inner = (error as { originalError?: unknown } | null)?.originalError;
  return inner instanceof Error ? inner : error;
}
