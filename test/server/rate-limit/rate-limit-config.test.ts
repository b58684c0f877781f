import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.ts';

function variableOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.variable;
    throw error;
  }
  throw new Error('loadConfig accepted a bad configuration');
}

describe('rate-limit configuration', () => {
  it('defaults to budgets a dashboard never reaches, per 60 s', () => {
    expect(loadConfig({}).clientRateLimits).toEqual({ clientRequests: 600, clientCost: 100_000, tenantRequests: 3000, tenantCost: 500_000, windowMs: 60_000 });
  });

  it('reads each budget, 0 lifting it', () => {
    const env = { CLIENT_RATE_LIMIT_REQUESTS: '0', CLIENT_RATE_LIMIT_COST: '5', TENANT_RATE_LIMIT_REQUESTS: '7', TENANT_RATE_LIMIT_COST: '0', RATE_LIMIT_WINDOW_MS: '1000' };
    expect(loadConfig(env).clientRateLimits).toEqual({ clientRequests: 0, clientCost: 5, tenantRequests: 7, tenantCost: 0, windowMs: 1000 });
  });

  it('names the variable of a bad value, and asks for a window of whole seconds', () => {
    expect(variableOf({ CLIENT_RATE_LIMIT_REQUESTS: '-1' })).toBe('CLIENT_RATE_LIMIT_REQUESTS');
    expect(variableOf({ TENANT_RATE_LIMIT_COST: '1.5' })).toBe('TENANT_RATE_LIMIT_COST');
    expect(variableOf({ RATE_LIMIT_WINDOW_MS: '1500' })).toBe('RATE_LIMIT_WINDOW_MS');
    expect(variableOf({ RATE_LIMIT_WINDOW_MS: '0' })).toBe('RATE_LIMIT_WINDOW_MS');
  });
});
