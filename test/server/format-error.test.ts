import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ErrorCode, UpstreamError } from '../../src/errors.ts';
import { PersonalDataRedactor } from '../../src/ops/personal-data-redactor.ts';
import { createFormatError, ResolverErrorLog } from '../../src/server/format-error.ts';
import { markReported } from '../../src/upstream/reported-failures.ts';
import type { FastifyBaseLogger } from 'fastify';

function logger() {
  const lines: Array<{ level: string; data: unknown }> = [];
  const log = (level: string) => (data: unknown) => lines.push({ level, data });
  const errors = new ResolverErrorLog({ warn: log('warn'), error: log('error') } as unknown as FastifyBaseLogger, new PersonalDataRedactor(['email']));
  return { lines, errors };
}

/** The same upstream error as graphql-js hands it over for each field it failed. */
function fieldsFailedBy(error: Error, count: number): Array<[{ message: string; path: string[]; extensions: Record<string, unknown> }, GraphQLError]> {
  return Array.from({ length: count }, (_, i) => {
    const path = ['customers', String(i), 'crmContact'];
    return [{ message: error.message, path, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, new GraphQLError(error.message, { originalError: error, path })];
  });
}

describe('the error boundary', () => {
  it('masks unknown errors as INTERNAL_SERVER_ERROR and logs the original', () => {
    const { lines, errors } = logger();
    const original = new TypeError('cannot read properties of undefined (secret detail)');
    const wrapped = new GraphQLError(original.message, { originalError: original, path: ['customer'] });
    const formatted = createFormatError(errors)(
      { message: original.message, path: ['customer'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['TypeError: …'] } },
      wrapped,
    );
    expect(formatted).toEqual({ message: 'Internal server error', path: ['customer'], extensions: { code: ErrorCode.InternalServerError } });
    expect(lines.map((l) => l.level)).toEqual(['error']);
  });

  it('passes public codes through with provider and retryAfter, without a stack trace', () => {
    const { errors } = logger();
    const error = new UpstreamError(ErrorCode.UpstreamRateLimited, 'hubspot', 'HubSpot is rate limiting the gateway', { retryAfter: 3, detail: 'HTTP 429' });
    const wrapped = new GraphQLError(error.message, { originalError: error, path: ['payment'] });
    const formatted = createFormatError(errors)({ message: error.message, path: ['payment'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['x'] } }, wrapped);
    expect(formatted).toEqual({ message: error.message, path: ['payment'], extensions: { code: 'UPSTREAM_RATE_LIMITED', provider: 'hubspot', retryAfter: 3 } });
  });

  it('does not log an upstream failure its attempt already reported, however many fields it failed', () => {
    const { lines, errors } = logger();
    const failure = new UpstreamError(ErrorCode.UpstreamUnavailable, 'hubspot', 'hubspot is unavailable (HTTP 503)', { detail: 'HTTP 503', transient: true });
    markReported(failure);
    const format = createFormatError(errors);
    for (const [formatted, error] of fieldsFailedBy(failure, 25)) expect(format(formatted, error).extensions?.['code']).toBe('UPSTREAM_UNAVAILABLE');
    expect(lines).toEqual([]);
  });

  it('does not log the gateway\'s own refusals (open circuit, deadline) per field', () => {
    const { lines, errors } = logger();
    const refusal = new UpstreamError(ErrorCode.UpstreamUnavailable, 'hubspot', 'hubspot is failing; calls are paused (circuit open)', { byGateway: true });
    const format = createFormatError(errors);
    for (const [formatted, error] of fieldsFailedBy(refusal, 5)) format(formatted, error);
    expect(lines).toEqual([]);
  });

  it('logs an upstream error no attempt reported once, not once per field, with its detail masked', () => {
    const { lines, errors } = logger();
    const invalid = new UpstreamError(ErrorCode.UpstreamBadResponse, 'customers', 'customers sent an answer the gateway cannot read', { detail: 'email: not an address: grace@example.com' });
    const format = createFormatError(errors);
    for (const [formatted, error] of fieldsFailedBy(invalid, 8)) format(formatted, error);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', data: { provider: 'customers', code: 'UPSTREAM_BAD_RESPONSE', detail: 'email: not an address: [redacted]' } });
  });
});
