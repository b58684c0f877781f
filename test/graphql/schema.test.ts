import { buildSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { loadTypeDefs } from '../../src/graphql/type-defs.ts';

describe('public contract', () => {
  it('the printed schema changes only on purpose', () => {
    expect(printSchema(buildSchema(loadTypeDefs()))).toMatchSnapshot();
  });

  it('the error codes change only on purpose', () => {
    expect(Object.values(ErrorCode).sort()).toMatchInlineSnapshot(`
      [
        "AUTHENTICATION_UNAVAILABLE",
        "BAD_USER_INPUT",
        "BATCHING_NOT_SUPPORTED",
        "CONFLICT",
        "FORBIDDEN",
        "IDEMPOTENCY_IN_PROGRESS",
        "IDEMPOTENCY_KEY_REQUIRED",
        "IDEMPOTENCY_KEY_REUSED",
        "IDEMPOTENCY_UNAVAILABLE",
        "INTERNAL_SERVER_ERROR",
        "NOT_FOUND",
        "OPERATION_NOT_SUPPORTED",
        "OPERATION_NOT_TRUSTED",
        "PERSISTED_QUERY_NOT_FOUND",
        "QUERY_TOO_COMPLEX",
        "QUERY_TOO_DEEP",
        "QUERY_TOO_LARGE",
        "RATE_LIMITED",
        "REQUEST_TOO_LARGE",
        "SUBSCRIBER_TOO_SLOW",
        "TOO_MANY_ALIASES",
        "TOO_MANY_DIRECTIVES",
        "TOO_MANY_ROOT_FIELDS",
        "TOO_MANY_SUBSCRIPTIONS",
        "TOO_MANY_TOKENS",
        "UNAUTHENTICATED",
        "UPSTREAM_BAD_RESPONSE",
        "UPSTREAM_RATE_LIMITED",
        "UPSTREAM_REJECTED",
        "UPSTREAM_TIMEOUT",
        "UPSTREAM_UNAUTHORIZED",
        "UPSTREAM_UNAVAILABLE",
        "VARIABLES_TOO_DEEP",
        "WRITE_OUTCOME_UNKNOWN",
      ]
    `);
  });
});
