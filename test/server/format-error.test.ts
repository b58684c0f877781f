import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ErrorCode, UpstreamError } from '../../src/errors.ts';
import { createFormatError } from '../../src/server/format-error.ts';
import type { FastifyBaseLogger } from 'fastify';

function logger() {
  const lines: Array<{ level: string; data: unknown }> = [];
  const log = (level: string) => (data: unknown) => lines.push({ level, data });
  return { lines, log: { warn: log('warn'), error: log('error') } as unknown as FastifyBaseLogger };
}

describe('the error boundary', () => {
  it('masks unknown errors as INTERNAL_SERVER_ERROR and logs the original', () => {
    const { lines, log } = logger();
    const original = new TypeError('cannot read properties of undefined (secret detail)');
    const wrapped = new GraphQLError(original.message, { originalError: original, path: ['customer'] });
    const formatted = createFormatError(log)(
      { message: original.message, path: ['customer'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['TypeError: …'] } },
      wrapped,
    );
    expect(formatted).toEqual({ message: 'Internal server error', path: ['customer'], extensions: { code: ErrorCode.InternalServerError } });
    expect(lines.map((l) => l.level)).toEqual(['error']);
  });

  it('passes public codes through with provider and retryAfter, without a stack trace', () => {
    const { log } = logger();
    const error = new UpstreamError(ErrorCode.UpstreamRateLimited, 'hubspot', 'HubSpot is rate limiting the gateway', { retryAfter: 3, detail: 'HTTP 429' });
    const wrapped = new GraphQLError(error.message, { originalError: error, path: ['payment'] });
    const formatted = createFormatError(log)({ message: error.message, path: ['payment'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['x'] } }, wrapped);
    expect(formatted).toEqual({ message: error.message, path: ['payment'], extensions: { code: 'UPSTREAM_RATE_LIMITED', provider: 'hubspot', retryAfter: 3 } });
  });
});
