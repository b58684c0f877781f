import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { apiKeysFile, tempFile } from './support/auth.ts';
import { REMOTE, failure } from './support/config-failure.ts';

const tenant = (secret: string) => `
    customers: { url: https://customers.example, token: t-123456 }
    stripe: { secretKey: sk_test_abc }
    hubspot: { accessToken: pat-123456 }
    webhooks: { stripe: { secrets: [${secret}] } }`;

describe('webhook and event configuration', () => {
  it('reads each provider\'s secrets, several during a rotation, and the event log\'s settings', () => {
    const config = loadConfig({ ...REMOTE, STRIPE_WEBHOOK_SECRETS: 'whsec_new, whsec_old', CUSTOMERS_WEBHOOK_SECRETS: 'whsec_c2VjcmV0', HUBSPOT_CLIENT_SECRET: 'hub-secret', HUBSPOT_CLIENT_ID: 'app', HUBSPOT_REFRESH_TOKEN: 'r-1', HUBSPOT_ACCESS_TOKEN: '' });
    expect(config.webhookSecrets).toEqual({ stripe: ['whsec_new', 'whsec_old'], customers: ['whsec_c2VjcmV0'], hubspot: ['hub-secret'] });
    expect(config.events).toMatchObject({ maxAttempts: 8, claimIdleMs: 120_000, dedupeTtlMs: 4 * 86_400_000 });
  });

  it('refuses secrets that are not the provider\'s kind, and a claim time a consumer\'s own backoff would reach', () => {
    expect(failure({ ...REMOTE, STRIPE_WEBHOOK_SECRETS: 'not-a-whsec' }).variable).toBe('STRIPE_WEBHOOK_SECRETS');
    expect(failure({ ...REMOTE, CUSTOMERS_WEBHOOK_SECRETS: 'whsec_ not base64!' }).variable).toBe('CUSTOMERS_WEBHOOK_SECRETS');
    expect(failure({ ...REMOTE, EVENTS_RETRY_MAX_MS: '60000', EVENTS_CLAIM_IDLE_MS: '60000' }).variable).toBe('EVENTS_CLAIM_IDLE_MS');
  });

  it('refuses two tenants that share a webhook secret, whose events could change each other\'s data', () => {
    const tenants = tempFile('tenants.yaml', `tenants:\n  acme:${tenant('whsec_shared')}\n  globex:${tenant('whsec_shared')}\n`);
    const keys = apiKeysFile([{ key: 'k-1234567', client: 'dash', tenant: 'acme', scopes: ['customers:read'] }]);
    const error = failure({ TENANTS_FILE: tenants, API_KEYS_FILE: keys });
    expect(error.variable).toBe('TENANTS_FILE');
    expect(error.message).toMatch(/"acme" and "globex" share a stripe webhook secret/);
    expect(error.message).not.toContain('whsec_shared');
    const distinct = tempFile('tenants.yaml', `tenants:\n  acme:${tenant('whsec_a')}\n  globex:${tenant('whsec_b')}\n`);
    expect(loadConfig({ TENANTS_FILE: distinct, API_KEYS_FILE: keys }).tenants.map((t) => t.webhookSecrets)).toEqual([{ stripe: ['whsec_a'] }, { stripe: ['whsec_b'] }]);
  });

  it('refuses webhooks in production without Redis, where acknowledged events would not outlive a restart', () => {
    const keys = apiKeysFile([{ key: 'k-1234567', client: 'dash', tenant: 'default', scopes: ['customers:read'] }]);
    const production = { ...REMOTE, NODE_ENV: 'production', API_KEYS_FILE: keys, STRIPE_WEBHOOK_SECRETS: 'whsec_x' };
    expect(failure(production).variable).toBe('REDIS_URL');
    expect(loadConfig({ ...production, REDIS_URL: 'redis://127.0.0.1:6379' }).webhookSecrets.stripe).toEqual(['whsec_x']);
  });
});
