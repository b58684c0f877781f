import { generateKeyPair, exportPKCS8, exportSPKI } from 'jose';
import { describe, expect, it } from 'vitest';
import { ApiKeyRegistry, apiKeyDigest } from '../../src/auth/api-key-registry.ts';
import { loadConfig } from '../../src/config.ts';
import { apiKeysFile, tempFile } from '../support/auth.ts';
import { REMOTE, failure } from '../support/config-failure.ts';

const TENANTS_YAML = `
tenants:
  acme:
    customers: { url: https://customers.acme.example, token: acme-customers-secret }
    stripe: { secretKeyFile: STRIPE_FILE }
    hubspot:
      oauth: { clientId: acme-app, clientSecret: acme-hubspot-secret, refreshTokenFile: REFRESH_FILE }
      rateLimit: { limit: 190, windowMs: 10000 }
    limits: { clientCost: 5000 }
`;

describe('client authentication and tenants configuration', () => {
  it('refuses to start in production without client authentication, naming the variable', () => {
    const error = failure({ NODE_ENV: 'production' });
    expect(error.variable).toBe('API_KEYS_FILE');
    expect(error.message).toMatch(/NODE_ENV=production needs client authentication/);
    expect(failure({ ...REMOTE, NODE_ENV: 'production' }).variable).toBe('API_KEYS_FILE');
    const keys = apiKeysFile([{ key: 'k-1234567', client: 'dash', tenant: 'default', scopes: ['customers:read'] }]);
    expect(loadConfig({ ...REMOTE, NODE_ENV: 'production', API_KEYS_FILE: keys }).clientAuth.apiKeys).toHaveLength(1);
  });

  it('reads tenants with file references for secrets, and their own budgets and limits', () => {
    const stripeFile = tempFile('stripe', 'sk_test_acmeFromFile\n');
    const refreshFile = tempFile('refresh', 'acme-refresh-token');
    const tenants = tempFile('tenants.yaml', TENANTS_YAML.replace('STRIPE_FILE', stripeFile).replace('REFRESH_FILE', refreshFile));
    const keys = apiKeysFile([{ key: 'k-1234567', client: 'dash', tenant: 'acme', scopes: ['customers:read'] }]);
    const config = loadConfig({ TENANTS_FILE: tenants, API_KEYS_FILE: keys });
    expect(config.mode).toBe('remote');
    expect(config.providers).toBeUndefined();
    const [acme] = config.tenants;
    expect(acme).toMatchObject({
      id: 'acme',
      providers: {
        stripe: { url: 'https://api.stripe.com', auth: { kind: 'bearer', token: 'sk_test_acmeFromFile' } },
        hubspot: { auth: { kind: 'oauth-refresh', clientId: 'acme-app', refreshToken: 'acme-refresh-token' } },
      },
      rateLimits: { stripe: { limit: 25, windowMs: 1000 }, hubspot: { limit: 190, windowMs: 10_000 } },
      limits: { clientCost: 5000 },
    });
  });

  it('reports every problem of a tenants file at once, by path, without echoing a secret', () => {
    const tenants = tempFile('tenants.yaml', `
tenants:
  Bad Id: {}
  acme:
    customers: { url: ftp://x.example, token: super-secret-token-value }
    stripe: { secretKey: sk_test_abc, colour: blue }
`);
    const error = failure({ TENANTS_FILE: tenants });
    expect(error.variable).toBe('TENANTS_FILE');
    expect(error.problems.map((problem) => problem.variable)).toEqual(['TENANTS_FILE', 'TENANTS_FILE', 'TENANTS_FILE', 'TENANTS_FILE']);
    for (const where of ['tenants.acme.customers.url', 'tenants.acme.stripe', 'tenants.acme.hubspot', 'Bad Id']) expect(error.message).toContain(where);
    expect(error.message).not.toContain('super-secret-token-value');
  });

  it('needs authentication to tell several tenants apart, and refuses keys of unknown tenants', () => {
    const tenants = tempFile('tenants.yaml', TENANTS_YAML.replace('secretKeyFile: STRIPE_FILE', 'secretKey: sk_test_x').replace('refreshTokenFile: REFRESH_FILE', 'refreshToken: r'));
    expect(failure({ ...REMOTE, TENANTS_FILE: tenants }).message).toMatch(/2 tenants are configured/);
    const keys = apiKeysFile([{ key: 'k-1234567', client: 'dash', tenant: 'initech', scopes: ['customers:read'] }]);
    const error = failure({ TENANTS_FILE: tenants, API_KEYS_FILE: keys });
    expect(error.variable).toBe('API_KEYS_FILE');
    expect(error.message).toContain('keys.0.tenant');
    const clash = failure({ ...REMOTE, DEFAULT_TENANT_ID: 'acme', TENANTS_FILE: tenants, API_KEYS_FILE: keys });
    expect(clash.variable).toBe('TENANTS_FILE');
  });

  it('checks JWT settings: issuer and audience required, asymmetric algorithms only, a public key only', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const publicPem = tempFile('jwt.pub', await exportSPKI(publicKey));
    expect(failure({ JWT_PUBLIC_KEY_FILE: publicPem, JWT_AUDIENCE: 'tributary' }).variable).toBe('JWT_ISSUER');
    expect(failure({ JWT_PUBLIC_KEY_FILE: publicPem, JWT_ISSUER: 'https://i', JWT_AUDIENCE: 'a', JWT_ALGORITHMS: 'HS256' }).variable).toBe('JWT_ALGORITHMS');
    expect(failure({ JWT_PUBLIC_KEY_FILE: tempFile('jwt.key', await exportPKCS8(privateKey)), JWT_ISSUER: 'https://i', JWT_AUDIENCE: 'a' }).message).toMatch(/private key/);
    expect(failure({ JWT_ISSUER: 'https://i' }).variable).toBe('JWT_ISSUER');
    const config = loadConfig({ NODE_ENV: 'production', JWT_PUBLIC_KEY_FILE: publicPem, JWT_ISSUER: 'https://i', JWT_AUDIENCE: 'a' });
    expect(config.clientAuth.jwt).toMatchObject({ issuer: 'https://i', audience: 'a', clockSkewSeconds: 30, tenantClaim: 'tenant' });
  });

  it('stores digests only, and finds a key among many by comparing every digest', () => {
    const keys = ['alpha-key-000', 'bravo-key-111', 'charlie-key-222'];
    const registry = new ApiKeyRegistry(keys.map((key, i) => ({ client: `c${i}`, tenant: 'sample', scopes: ['customers:read'], sha256: apiKeyDigest(key) })));
    expect(registry.authenticate('bravo-key-111')).toMatchObject({ kind: 'api-key', clientId: 'c1', tenantId: 'sample' });
    expect(registry.authenticate('bravo-key-112')).toBeUndefined();
    expect(registry.authenticate(apiKeyDigest('bravo-key-111'))).toBeUndefined();
  });
});
