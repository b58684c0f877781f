import { describe, expect, it } from 'vitest';
import type { TenantConfig } from '../../../src/auth/tenants-file.ts';
import { loadConfig } from '../../../src/config.ts';
import { createClientRateLimiter } from '../../../src/server/rate-limit/create-client-rate-limiter.ts';

/** A tenant of TENANTS_FILE; only its `limits` matter here. */
const tenant = (id: string, limits: TenantConfig['limits']) => ({ id, limits }) as TenantConfig;

describe('the gateway\'s rate limiter', () => {
  it('applies a tenant\'s limits from the tenants file over the defaults, and the defaults to everyone else', async () => {
    const config = { ...loadConfig({ CLIENT_RATE_LIMIT_REQUESTS: '1' }), tenants: [tenant('acme', { clientRequests: 2, tenantCost: 0 })] };
    const limiter = createClientRateLimiter({ config, redis: undefined, now: () => 0 });
    const one = { requests: 1, cost: 0 };
    const acme = { tenantId: 'acme', clientId: 'dash' };
    expect((await limiter.consume(acme, one)).allowed).toBe(true);
    const second = await limiter.consume(acme, one);
    expect(second.allowed).toBe(true);
    expect(second.headers['RateLimit-Policy']).toBe('"client-requests";q=2;w=60, "client-cost";q=100000;w=60, "tenant-requests";q=3000;w=60');
    const other = { tenantId: 'globex', clientId: 'dash' };
    expect((await limiter.consume(other, one)).allowed).toBe(true);
    expect((await limiter.consume(other, one)).allowed).toBe(false);
  });

  it('refuses to start with a tenant limit it cannot count exactly, naming the tenant', () => {
    const config = { ...loadConfig({}), tenants: [tenant('acme', { clientCost: 2 ** 50 })] };
    expect(() => createClientRateLimiter({ config, redis: undefined })).toThrow(/^tenant acme's limits: clientCost must be a non-negative integer/);
  });
});
