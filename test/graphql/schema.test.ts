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
        "BAD_USER_INPUT",
        "FORBIDDEN",
        "INTERNAL_SERVER_ERROR",
        "NOT_FOUND",
        "OPERATION_NOT_TRUSTED",
        "PERSISTED_QUERY_NOT_FOUND",
        "RATE_LIMITED",
        "UNAUTHENTICATED",
        "UPSTREAM_BAD_RESPONSE",
        "UPSTREAM_RATE_LIMITED",
        "UPSTREAM_REJECTED",
        "UPSTREAM_TIMEOUT",
        "UPSTREAM_UNAUTHORIZED",
        "UPSTREAM_UNAVAILABLE",
      ]
    `);
  });
});
