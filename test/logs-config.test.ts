import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, loadConfig } from '../src/config.ts';
import { failure } from './support/config-failure.ts';

describe('logs configuration', () => {
  it('defaults to an access line, masked personal fields, and no shutdown grace', () => {
    const config = loadConfig({});
    expect(config.logs).toEqual({ accessLog: true, redactFields: ['email', 'name', 'firstname', 'lastname', 'phone'] });
    expect(config.shutdownGraceMs).toBe(0);
    for (const key of ['ACCESS_LOG', 'LOG_REDACT_FIELDS', 'SHUTDOWN_GRACE_MS']) expect(Object.keys(CONFIG_KEYS)).toContain(key);
  });

  it('reads ACCESS_LOG=off, a list of fields (lower-cased), none, and a grace in ms', () => {
    const config = loadConfig({ ACCESS_LOG: 'off', LOG_REDACT_FIELDS: ' Email, phone ,', SHUTDOWN_GRACE_MS: '10000' });
    expect(config.logs).toEqual({ accessLog: false, redactFields: ['email', 'phone'] });
    expect(config.shutdownGraceMs).toBe(10_000);
    expect(loadConfig({ LOG_REDACT_FIELDS: 'NONE' }).logs.redactFields).toEqual([]);
  });

  it('names the variable of every bad value', () => {
    expect(failure({ ACCESS_LOG: 'yes' }).variable).toBe('ACCESS_LOG');
    expect(failure({ LOG_REDACT_FIELDS: 'email,na(me' }).variable).toBe('LOG_REDACT_FIELDS');
    expect(failure({ LOG_REDACT_FIELDS: ',' }).variable).toBe('LOG_REDACT_FIELDS');
    expect(failure({ SHUTDOWN_GRACE_MS: '-1' }).variable).toBe('SHUTDOWN_GRACE_MS');
  });
});
