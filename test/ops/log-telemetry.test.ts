import { describe, expect, it } from 'vitest';
import { logTelemetry, MAX_LOGGED_ERROR_BODY_CHARS } from '../../src/ops/log-telemetry.ts';
import { PersonalDataRedactor, REDACTED } from '../../src/ops/personal-data-redactor.ts';
import type { UpstreamAttempt } from '../../src/telemetry.ts';

function failedAttempt(errorBody: string): UpstreamAttempt {
  return {
    provider: 'hubspot', tenant: 't1', resource: 'hubspot.contacts', method: 'POST', path: '/crm/v3/objects/contacts',
    attempt: 1, status: 409, errorCode: 'UPSTREAM_BAD_REQUEST', durationMs: 3, bytes: errorBody.length, providerRequestId: 'c0ffee', errorBody,
  };
}

function loggedBody(fields: readonly string[], errorBody: string): string {
  const lines: Record<string, unknown>[] = [];
  const writer = { warn: (line: object) => lines.push(line as Record<string, unknown>), info: () => undefined };
  logTelemetry(writer, new PersonalDataRedactor(fields)).upstreamAttempt(failedAttempt(errorBody));
  expect(lines).toHaveLength(1);
  return String(lines[0]!['errorBody']);
}

describe('the log sink writes a failed answer\'s body masked, then cut', () => {
  it('masks an address that straddles the line\'s bound before cutting', () => {
    const prefix = `{"message":"${'x'.repeat(MAX_LOGGED_ERROR_BODY_CHARS - 40)} the email `;
    const body = `${prefix}jane.doe@example-mail.com already exists"}`;
    expect(body.indexOf('@')).toBeLessThan(MAX_LOGGED_ERROR_BODY_CHARS);
    expect(body.indexOf('.com')).toBeGreaterThan(MAX_LOGGED_ERROR_BODY_CHARS);
    expect(loggedBody(['email'], body)).toBe(`${prefix}${REDACTED} already exists"}`.slice(0, MAX_LOGGED_ERROR_BODY_CHARS));
  });

  it('still cuts the body when redaction is off', () => {
    expect(loggedBody([], 'y'.repeat(3 * MAX_LOGGED_ERROR_BODY_CHARS))).toBe('y'.repeat(MAX_LOGGED_ERROR_BODY_CHARS));
  });
});
