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
  /** The calling client (or its tenant) spent its own budget at the gateway; HTTP 429. */
  RateLimited: 'RATE_LIMITED',
  NotFound: 'NOT_FOUND',
  BadUserInput: 'BAD_USER_INPUT',
  Unauthenticated: 'UNAUTHENTICATED',
  AuthenticationUnavailable: 'AUTHENTICATION_UNAVAILABLE',
  Forbidden: 'FORBIDDEN',
  /** TRUSTED_DOCUMENTS=enforce: the request's id names no listed operation (HTTP 400). */
  PersistedQueryNotFound: 'PERSISTED_QUERY_NOT_FOUND',
  /** TRUSTED_DOCUMENTS=enforce: the request's text is not a listed operation's body (HTTP 403). */
  OperationNotTrusted: 'OPERATION_NOT_TRUSTED',
  InternalServerError: 'INTERNAL_SERVER_ERROR',
  // Operation limits (src/graphql/limits): each carries the measured figure and its maximum.
  RequestTooLarge: 'REQUEST_TOO_LARGE',
  QueryTooLarge: 'QUERY_TOO_LARGE',
  TooManyTokens: 'TOO_MANY_TOKENS',
  QueryTooDeep: 'QUERY_TOO_DEEP',
  TooManyAliases: 'TOO_MANY_ALIASES',
  TooManyRootFields: 'TOO_MANY_ROOT_FIELDS',
  TooManyDirectives: 'TOO_MANY_DIRECTIVES',
  QueryTooComplex: 'QUERY_TOO_COMPLEX',
  VariablesTooDeep: 'VARIABLES_TOO_DEEP',
  BatchingNotSupported: 'BATCHING_NOT_SUPPORTED',
  OperationNotSupported: 'OPERATION_NOT_SUPPORTED',
  // Subscriptions (src/server/subscriptions): each carries its limit.
  /** A connection already holds as many subscriptions as one may (SUBSCRIPTIONS_MAX_PER_CONNECTION). */
  TooManySubscriptions: 'TOO_MANY_SUBSCRIPTIONS',
  /** Changes arrived faster than the subscription could read and send them; it ended, subscribe again. */
  SubscriberTooSlow: 'SUBSCRIBER_TOO_SLOW',
  // Writes (src/writes): see the README's "Writes".
  /** A mutation that creates something each time (a refund, a note) came without an Idempotency-Key (HTTP 400). */
  IdempotencyKeyRequired: 'IDEMPOTENCY_KEY_REQUIRED',
  /** The Idempotency-Key was first used with another request (principal, document or variables) (HTTP 422). */
  IdempotencyKeyReused: 'IDEMPOTENCY_KEY_REUSED',
  /** The first request with this Idempotency-Key is still running; retry after `retryAfter` seconds (HTTP 409). */
  IdempotencyInProgress: 'IDEMPOTENCY_IN_PROGRESS',
  /** The store of Idempotency-Keys could not be reached, so the write was not started; retry after `retryAfter` (HTTP 503). */
  IdempotencyUnavailable: 'IDEMPOTENCY_UNAVAILABLE',
  /** The object changed since the version the client expected; `currentVersion` says which it is now. */
  Conflict: 'CONFLICT',
  /** A write that cannot be repeated may or may not have reached its provider; the client should look before trying again. */
  WriteOutcomeUnknown: 'WRITE_OUTCOME_UNKNOWN',
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

/**
 * Every error the gateway means a client to see: a plain error with a stable public `code` and the
 * extensions that go with it. Nothing below the GraphQL boundary knows GraphQL; the boundary
 * (src/server/format-error.ts) turns these into GraphQL errors, and anything else into
 * INTERNAL_SERVER_ERROR. Match on `code`, never on the class.
 */
export abstract class GatewayError extends Error {
  abstract readonly code: ErrorCode;

  /** What a client may read besides `code` and the message. */
  publicExtensions(): Record<string, unknown> {
    return {};
  }
}

/** The error's public code and extensions, or undefined when it is not one meant for clients. */
export function publicErrorOf(error: unknown): { code: ErrorCode; message: string; extensions: Record<string, unknown> } | undefined {
  if (!(error instanceof Error) || !isPublicCode((error as { code?: unknown }).code)) return undefined;
  const publicExtensions = (error as Partial<GatewayError>).publicExtensions;
  if (typeof publicExtensions !== 'function') return undefined;
  const code = (error as GatewayError).code;
  return { code, message: error.message, extensions: { code, ...publicExtensions.call(error) } };
}

export interface UpstreamErrorOptions {
  /** Seconds after which trying again may work; sent to clients as `extensions.retryAfter`. */
  retryAfter?: number;
  /** For the logs only (status, provider error code, offending path); never sent to clients. */
  detail?: string;
  /** The same request may well succeed if repeated (5xx, reset, attempt timeout, cut body). */
  transient?: boolean;
  /** The provider's HTTP status, when it answered one; for the logs and the pipeline. */
  status?: number;
  /**
   * The gateway stopped the call itself (its deadline, its quota, a full bulkhead, an open
   * circuit): the provider had no part in it, so the breaker does not count it and retries do
   * not repeat it.
   */
  byGateway?: boolean;
  /**
   * The request may have reached the provider and been acted on (a reset, a timeout or a 5xx
   * after it was sent); false when it surely was not (never sent, refused on connect, or
   * answered 429 or 503, which say it was not handled). A write that cannot be repeated reads it.
   */
  mayHaveArrived?: boolean;
}

/** A provider call that did not give a usable answer. */
export class UpstreamError extends GatewayError {
  readonly retryAfter: number | undefined;
  readonly detail: string | undefined;
  readonly transient: boolean;
  readonly byGateway: boolean;
  readonly status: number | undefined;
  readonly mayHaveArrived: boolean;

  constructor(
    readonly code: ErrorCode,
    readonly provider: ProviderName,
    message: string,
    options: UpstreamErrorOptions = {},
  ) {
    super(message);
    this.name = 'UpstreamError';
    this.retryAfter = options.retryAfter;
    this.detail = options.detail;
    this.transient = options.transient ?? false;
    this.byGateway = options.byGateway ?? false;
    this.status = options.status;
    this.mayHaveArrived = options.mayHaveArrived ?? false;
  }

  override publicExtensions(): Record<string, unknown> {
    return { provider: this.provider, ...(this.retryAfter === undefined ? {} : { retryAfter: this.retryAfter }) };
  }
}

/** Matches on code and shape, so that a copy of this module (or a subclass) is still recognised. */
export function isUpstreamError(error: unknown): error is UpstreamError {
  return error instanceof Error && error.name === 'UpstreamError' && typeof (error as Partial<UpstreamError>).provider === 'string';
}

/** An argument that names an input the client gave (`argument` in extensions). */
abstract class ArgumentError extends GatewayError {
  constructor(
    message: string,
    readonly argument?: string,
  ) {
    super(message);
  }

  override publicExtensions(): Record<string, unknown> {
    return this.argument ? { argument: this.argument } : {};
  }
}

/** Something the client referred to (a cursor's object, say) no longer exists. */
export class NotFoundError extends ArgumentError {
  readonly code = ErrorCode.NotFound;
  override readonly name = 'NotFoundError';
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

export class BadUserInputError extends ArgumentError {
  readonly code = ErrorCode.BadUserInput;
  override readonly name = 'BadUserInputError';
}

/** The principal lacks the scope a field needs; the field is null, the rest of the answer arrives. */
export class ForbiddenError extends GatewayError {
  readonly code = ErrorCode.Forbidden;
  override readonly name = 'ForbiddenError';

  constructor(readonly scope: string) {
    super(`This field needs the ${scope} scope`);
  }

  override publicExtensions(): Record<string, unknown> {
    return { scope: this.scope };
  }
}

/** A connection's credentials expired while it was open (a JWT's `exp` passed). */
export class CredentialsExpiredError extends GatewayError {
  readonly code = ErrorCode.Unauthenticated;
  override readonly name = 'CredentialsExpiredError';

  constructor() {
    super('The credentials of this connection have expired; connect again with new ones');
  }
}

/**
 * A client or its tenant spent its budget at the gateway (src/server/rate-limit/): answered with
 * HTTP 429, `Retry-After` and the RateLimit fields, which `headers` holds. Not an UpstreamError:
 * no provider is involved, and nothing was sent to one.
 */
export class RateLimitedError extends GatewayError {
  readonly code = ErrorCode.RateLimited;
  override readonly name = 'RateLimitedError';

  constructor(
    message: string,
    /** Whole seconds after which the same request fits the budget again. */
    readonly retryAfter: number,
    /** Retry-After, RateLimit-Policy and RateLimit, for the HTTP answer. */
    readonly headers: Readonly<Record<string, string>>,
  ) {
    super(message);
  }

  override publicExtensions(): Record<string, unknown> {
    return { retryAfter: this.retryAfter };
  }
}

/** A write's idempotency rules refused the request; `httpStatus` is the answer's status. */
export class IdempotencyError extends GatewayError {
  override readonly name = 'IdempotencyError';

  constructor(
    readonly code: typeof ErrorCode.IdempotencyKeyRequired | typeof ErrorCode.IdempotencyKeyReused | typeof ErrorCode.IdempotencyInProgress | typeof ErrorCode.IdempotencyUnavailable,
    message: string,
    readonly httpStatus: number,
    /** Seconds; set for IDEMPOTENCY_IN_PROGRESS and IDEMPOTENCY_UNAVAILABLE. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  override publicExtensions(): Record<string, unknown> {
    return this.retryAfter === undefined ? {} : { retryAfter: this.retryAfter };
  }
}

/** `If-Match` failed: the object is at another version than the client expected; nothing changed. */
export class ConflictError extends GatewayError {
  readonly code = ErrorCode.Conflict;
  override readonly name = 'ConflictError';

  constructor(
    message: string,
    readonly currentVersion: number | undefined,
  ) {
    super(message);
  }

  override publicExtensions(): Record<string, unknown> {
    return this.currentVersion === undefined ? {} : { currentVersion: this.currentVersion };
  }
}

/** A write that is not repeatable failed after it may have reached its provider (see WriteDefinition.repeatable). */
export class WriteOutcomeUnknownError extends GatewayError {
  readonly code = ErrorCode.WriteOutcomeUnknown;
  override readonly name = 'WriteOutcomeUnknownError';

  constructor(
    readonly provider: ProviderName,
    message: string,
  ) {
    super(message);
  }

  override publicExtensions(): Record<string, unknown> {
    return { provider: this.provider };
  }
}
