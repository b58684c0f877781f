import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { FastifyBaseLogger } from 'fastify';
import { ErrorCode, isPublicCode, UpstreamError } from '../errors.ts';

/**
 * The one error boundary. Errors with a public code pass (upstream failures are logged with their
 * detail, which clients do not see); anything else is logged and masked as INTERNAL_SERVER_ERROR,
 * so no stack trace or internal message reaches a client.
 */
export function createFormatError(logger: FastifyBaseLogger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof UpstreamError) {
      logger.warn({ provider: original.provider, code: original.code, detail: original.detail, path: formatted.path }, original.message);
    }
    const code = formatted.extensions?.['code'];
    // Apollo labels every unknown throw INTERNAL_SERVER_ERROR but keeps its message: mask those.
    if (isPublicCode(code) && code !== ErrorCode.InternalServerError) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error while resolving');
    return {
      message: 'Internal server error',
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: ErrorCode.InternalServerError },
    };
  };
}
