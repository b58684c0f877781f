import { GraphQLError } from 'graphql';

/**
 * The public error codes, surfaced as `extensions.code`. Clients match on these strings; they
 * change only on purpose (a snapshot test pins them).
 */
export const ErrorCode = {
  UpstreamTimeout: 'UPSTREAM_TIMEOUT',
  UpstreamUnavailable: 'UPSTREAM_UNAVAILABLE',
  UpstreamRateLimited: 'UPSTREAM_RATE_LIMITED',
  UpstreamBadResponse: 'UPSTREAM_BAD_RESPONSE',
  UpstreamUnauthorized: 'UPSTREAM_UNAUTHORIZED',
  UpstreamRejected: 'UPSTREAM_REJECTED',
  NotFound: 'NOT_FOUND',
  BadUserInput: 'BAD_USER_INPUT',
  InternalServerError: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export type ProviderName = 'customers' | 'stripe' | 'hubspot';

/** Codes Apollo Server itself produces for malformed requests; passed through untouched. */
const APOLLO_REQUEST_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

const PUBLIC_CODES = new Set<string>([...Object.values(ErrorCode), ...APOLLO_REQUEST_CODES]);

export function isPublicCode(code: unknown): boolean {
  return typeof code === 'string' && PUBLIC_CODES.has(code);
}

export interface UpstreamErrorOptions {
  /** Seconds after which trying again may work; sent to clients as `extensions.retryAfter`. */
  retryAfter?: number;
  /** For the logs only (status, provider error code, offending path); never sent to clients. */
  detail?: string;
  /** The same request may well succeed if repeated (5xx, reset, attempt timeout, cut body). */
  transient?: boolean;
}

/** A provider call that did not give a usable answer. */
export class UpstreamError extends GraphQLError {
  readonly retryAfter: number | undefined;
  readonly detail: string | undefined;
  readonly transient: boolean;

  constructor(
    readonly code: ErrorCode,
    readonly provider: ProviderName,
    message: string,
    options: UpstreamErrorOptions = {},
  ) {
    super(message, {
      extensions: {
        code,
        provider,
        ...(options.retryAfter === undefined ? {} : { retryAfter: options.retryAfter }),
      },
    });
    this.name = 'UpstreamError';
    this.retryAfter = options.retryAfter;
    this.detail = options.detail;
    this.transient = options.transient ?? false;
  }
}

/** Something the client referred to (a cursor's object, say) no longer exists. */
export class NotFoundError extends GraphQLError {
  constructor(message: string, argument?: string) {
    super(message, { extensions: { code: ErrorCode.NotFound, ...(argument ? { argument } : {}) } });
    this.name = 'NotFoundError';
  }
}

/**
 * A provider payload that passed its wire schema but cannot be mapped (an amount that is not a
 * number, an unknown currency): the provider's fault, reported as UPSTREAM_BAD_RESPONSE.
 */
export function mapOrBadResponse<W, T>(provider: ProviderName, wire: W, map: (wire: W) => T): T | UpstreamError {
  try {
    return map(wire);
  } catch (error) {
    return new UpstreamError(ErrorCode.UpstreamBadResponse, provider, `${provider} sent a value the gateway cannot read`, {
      detail: error instanceof Error ? error.message : String(error),
    });
  }
}

export class BadUserInputError extends GraphQLError {
  constructor(message: string, argument?: string) {
    super(message, {
      extensions: { code: ErrorCode.BadUserInput, ...(argument ? { argument } : {}) },
    });
    this.name = 'BadUserInputError';
  }
}
