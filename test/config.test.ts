import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { REMOTE, failure } from './support/config-failure.ts';

describe('configuration', () => {
  it('defaults to the embedded simulators on port 4000 with the upstream report on', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ mode: 'embedded', port: 4000, upstreamReport: true });
    expect(config.providers).toBeUndefined();
  });

  it('switches to remote mode when providers are configured, with documented defaults', () => {
    const config = loadConfig(REMOTE);
    expect(config.mode).toBe('remote');
    expect(config.upstreamReport).toBe(false);
    expect(config.providers?.stripe.url).toBe('https://api.stripe.com');
    expect(config.providers?.hubspot.url).toBe('https://api.hubapi.com');
    expect(config.rateLimits).toEqual({
      customers: { limit: 100, windowMs: 1000 },
      stripe: { limit: 100, windowMs: 1000 },
      hubspot: { limit: 100, windowMs: 10_000 },
    });
    expect(loadConfig({ HUBSPOT_RATE_LIMIT: '190', HUBSPOT_RATE_WINDOW_MS: '10000' }).rateLimits.hubspot).toEqual({ limit: 190, windowMs: 10_000 });
  });

  it('names the variable of every bad value', () => {
    expect(failure({ PORT: 'abc' }).variable).toBe('PORT');
    expect(failure({ PORT: '70000' }).variable).toBe('PORT');
    expect(failure({ UPSTREAM_REPORT: 'maybe' }).variable).toBe('UPSTREAM_REPORT');
    expect(failure({ LOG_LEVEL: 'loud' }).variable).toBe('LOG_LEVEL');
    expect(failure({ ...REMOTE, CUSTOMERS_API_TOKEN: '' }).variable).toBe('CUSTOMERS_API_TOKEN');
    expect(failure({ ...REMOTE, CUSTOMERS_API_URL: 'ftp://x' }).variable).toBe('CUSTOMERS_API_URL');
    expect(failure({ ...REMOTE, STRIPE_SECRET_KEY: 'pk_live_123' }).variable).toBe('STRIPE_SECRET_KEY');
    expect(failure({ ...REMOTE, HUBSPOT_DEFAULT_CURRENCY: 'dollars' }).variable).toBe('HUBSPOT_DEFAULT_CURRENCY');
    expect(failure({ REDIS_PROBE_INTERVAL_MS: '0' }).variable).toBe('REDIS_PROBE_INTERVAL_MS');
    expect(loadConfig({}).redisProbeIntervalMs).toBe(250);
  });

  it('connects to one Redis or to the seed nodes of a Redis Cluster, never both', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b.internal:7001,[::1]:7002' }).cache).toMatchObject({
      redisClusterNodes: ['10.0.0.1:7000', 'redis-b.internal:7001', '[::1]:7002'],
    });
    expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000' }).cache.redisUrl).toBeUndefined();
    expect(failure({ REDIS_CLUSTER_NODES: '10.0.0.1' }).variable).toBe('REDIS_CLUSTER_NODES');
    expect(failure({ REDIS_CLUSTER_NODES: 'redis://10.0.0.1:7000' }).variable).toBe('REDIS_CLUSTER_NODES');
    expect(failure({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,,10.0.0.2:7000' }).variable).toBe('REDIS_CLUSTER_NODES');
    expect(failure({ REDIS_CLUSTER_NODES: '10.0.0.1:70000' }).variable).toBe('REDIS_CLUSTER_NODES');
    const both = failure({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: '10.0.0.1:7000' });
    expect(both.variable).toBe('REDIS_CLUSTER_NODES');
    expect(both.message).toContain('REDIS_URL');
  });

  it('traces only when an OTLP endpoint is set: the traces endpoint as is, else the base one\'s /v1/traces', () => {
    expect(loadConfig({}).tracing).toEqual({});
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({ tracesUrl: 'http://collector:4318/v1/traces' });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp' }).tracing).toEqual({ tracesUrl: 'https://traces.example/otlp' });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing).toEqual({});
    expect(failure({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }).variable).toBe('OTEL_EXPORTER_OTLP_ENDPOINT');
    expect(failure({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' }).variable).toBe('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
    const withToken = failure({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:s3cr3tt0ken@collector.example' });
    expect(withToken.variable).toBe('OTEL_EXPORTER_OTLP_ENDPOINT');
    expect(withToken.message).not.toContain('s3cr3tt0ken');
  });

  it('never puts a secret in its messages', () => {
    const error = failure({ ...REMOTE, STRIPE_SECRET_KEY: 'pk_live_supersecret' });
    expect(error.message).not.toContain('supersecret');
  });

  it('reads secrets from *_FILE variables', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-'));
    writeFileSync(join(dir, 'stripe'), 'sk_test_fromfile\n');
    const { STRIPE_SECRET_KEY: _unused, ...rest } = REMOTE;
    const config = loadConfig({ ...rest, STRIPE_SECRET_KEY_FILE: join(dir, 'stripe') });
    expect(config.providers?.stripe.auth).toEqual({ kind: 'bearer', token: 'sk_test_fromfile' });
    expect(config.rateLimits.stripe.limit).toBe(25);
    expect(failure({ ...rest, STRIPE_SECRET_KEY_FILE: join(dir, 'missing') }).variable).toBe('STRIPE_SECRET_KEY_FILE');
  });
});

describe('npm start with bad configuration', () => {
  const run = promisify(execFile);
  const startWith = async (env: Record<string, string>) => {
    try {
      await run(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 15_000 });
    } catch (error) {
      return error as { code: number; stderr: string };
    }
    throw new Error('the gateway started');
  };

  it('exits non-zero naming PORT when PORT=abc', async () => {
    const result = await startWith({ PORT: 'abc' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('PORT');
  });

  it('exits non-zero naming the missing credential of a configured provider', async () => {
    const result = await startWith({ STRIPE_API_URL: 'https://stripe.example', CUSTOMERS_API_URL: 'https://c.example', CUSTOMERS_API_TOKEN: 't', HUBSPOT_ACCESS_TOKEN: 'h' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('STRIPE_SECRET_KEY');
  });

  it('prints every problem, one a line, each starting with its variable, when three variables are bad', async () => {
    const result = await startWith({ PORT: 'abc', HOST: 'not a host', LOG_LEVEL: 'loud' });
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      'Configuration error: 3 problems',
      'PORT: must be an integer from 0 to 65535, got "abc"',
      'HOST: must be an IP address or a host name (RFC 1123), got "not a host"',
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ]);
  });

  it('exits non-zero in production without client authentication, naming the variable', async () => {
    const result = await startWith({ NODE_ENV: 'production' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Configuration error: API_KEYS_FILE: NODE_ENV=production needs client authentication');
  });
});
