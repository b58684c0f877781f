import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { tempFile } from './support/auth.ts';
import { failure } from './support/config-failure.ts';

describe('metrics configuration', () => {
  it('serves /metrics beside /graphql by default, with 100 operation names', () => {
    expect(loadConfig({}).metrics).toEqual({ enabled: true, host: '127.0.0.1', maxOperations: 100 });
  });

  it('reads the token (or its file), the port, its interface and the cap', () => {
    const config = loadConfig({ METRICS_TOKEN_FILE: tempFile('token', 'a-scrape-token-of-some-length\n'), METRICS_PORT: '9464', METRICS_HOST: ' 10.0.0.5 ', METRICS_MAX_OPERATIONS: '20' });
    expect(config.metrics).toEqual({ enabled: true, token: 'a-scrape-token-of-some-length', port: 9464, host: '10.0.0.5', maxOperations: 20 });
    // Off the public network by default, whatever HOST the gateway listens on.
    expect(loadConfig({ HOST: '0.0.0.0', METRICS_PORT: '9464' }).metrics.host).toBe('127.0.0.1');
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
