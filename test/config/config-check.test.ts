import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { apiKeysFile, tempFile } from '../support/auth.ts';

const run = promisify(execFile);
/** npm, then tsx compiling the config modules: seconds on a busy machine, so past vitest's 20 s default. */
const SPAWN_TIMEOUT_MS = 60_000;

/** `npm run config:check` in a clean environment plus `env`: its exit code and output. */
async function configCheck(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'config:check'], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: SPAWN_TIMEOUT_MS });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run config:check', { timeout: SPAWN_TIMEOUT_MS + 5_000 }, () => {
  it('exits 2 listing every problem, one a line, each starting with its variable', async () => {
    const result = await configCheck({ PORT: 'abc', HOST: 'not a host', STRIPE_SECRET_KEY: 'pk_live_donotprint' });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      'Configuration error: 6 problems',
      'PORT: must be an integer from 0 to 65535, got "abc"',
      'HOST: must be an IP address or a host name (RFC 1123), got "not a host"',
      'CUSTOMERS_API_URL: is required when any provider is configured (remote mode)',
      'CUSTOMERS_API_TOKEN: is required when any provider is configured (remote mode)',
      'STRIPE_SECRET_KEY: must be a Stripe secret or restricted key (sk_test_…, sk_live_…)',
      'HUBSPOT_ACCESS_TOKEN: is required when any provider is configured (remote mode)',
    ]);
    expect(result.stderr).not.toContain('donotprint');
  });

  it('exits 0 with a summary of what the configuration amounts to, and no secret', async () => {
    const tenants = tempFile('tenants.yaml', `
tenants:
  acme:
    customers: { url: https://customers.acme.example, token: acme-customers-secret }
    stripe: { secretKey: sk_test_acmesecret }
    hubspot: { accessToken: pat-acme-secret }
`);
    const keys = apiKeysFile([
      { key: 'k-1234567', client: 'dash', tenant: 'acme', scopes: ['customers:read'] },
      { key: 'k-7654321', client: 'ops', tenant: 'default', scopes: ['customers:read'] },
    ]);
    const env = {
      CUSTOMERS_API_URL: 'https://customers.internal', CUSTOMERS_API_TOKEN: 'cust-token-secret', STRIPE_SECRET_KEY: 'sk_live_stripesecret',
      HUBSPOT_ACCESS_TOKEN: 'pat-default-secret', TENANTS_FILE: tenants, API_KEYS_FILE: keys, REDIS_URL: 'redis://:redispassword@127.0.0.1:1',
    };
    const result = await configCheck(env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      'configuration OK',
      '  mode: remote',
      '  tenants: default, acme',
      '  auth: API keys (2)',
      '  cache store: Redis',
      '  listen: 0.0.0.0:4000',
    ]);
    expect(result.stdout).not.toMatch(/secret|redispassword/);
  });
});
