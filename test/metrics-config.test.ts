import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { tempFile } from './support/auth.ts';
import { failure } from './support/config-failure.ts';

describe('metrics configuration', () => {
  it('serves /metrics beside /graphql by default, with 100 operation names', () => {
    expect(loadConfig({}).metrics).toEqual({ enabled: true, maxOperations: 100 });
  });

  it('reads the token (or its file), the port and the cap', () => {
    const config = loadConfig({ METRICS_TOKEN_FILE: tempFile('token', 'a-scrape-token-of-some-length\n'), METRICS_PORT: '9464', METRICS_MAX_OPERATIONS: '20' });
    expect(config.metrics).toEqual({ enabled: true, token: 'a-scrape-token-of-some-length', port: 9464, maxOperations: 20 });
    expect(loadConfig({ METRICS: 'off' }).metrics.enabled).toBe(false);
  });

  it('names the variable of each bad value, and never echoes the token', () => {
    expect(failure({ METRICS: 'maybe' }).variable).toBe('METRICS');
    const short = failure({ METRICS_TOKEN: 'short-secret' });
    expect(short.variable).toBe('METRICS_TOKEN');
    expect(short.message).not.toContain('short-secret');
    expect(failure({ METRICS_PORT: '70000' }).variable).toBe('METRICS_PORT');
    expect(failure({ METRICS_PORT: '4000' }).variable).toBe('METRICS_PORT');
    expect(failure({ METRICS_MAX_OPERATIONS: '-1' }).variable).toBe('METRICS_MAX_OPERATIONS');
    expect(failure({ METRICS_TOKEN: 'a-scrape-token-of-some-length', METRICS_TOKEN_FILE: '/nonexistent' }).variable).toBe('METRICS_TOKEN');
  });
});
