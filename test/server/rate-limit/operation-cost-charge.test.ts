import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../src/auth/principal.ts';
import { ErrorCode, UpstreamError } from '../../../src/errors.ts';
import { ClientRateLimiter } from '../../../src/server/rate-limit/client-rate-limiter.ts';
import { MemoryRateLimitStore } from '../../../src/server/rate-limit/memory-rate-limit-store.ts';
import { chargeOperationCost, operationCostCharger } from '../../../src/server/rate-limit/operation-cost-charge.ts';
import type { OperationContext } from '../../../src/server/operation-context.ts';
import { HeaderMap } from '@apollo/server';
import { operationErrorOf } from '../../../src/server/format-error.ts';

const dash: Principal = { kind: 'api-key', clientId: 'dash', tenantId: 'acme', scopes: new Set() };

describe('charging an operation\'s cost', () => {
  const limiter = () =>
    new ClientRateLimiter({
      store: new MemoryRateLimitStore({ now: () => 0 }),
      defaults: { clientRequests: 0, clientCost: 10, tenantRequests: 0, tenantCost: 0 },
      windowMs: 60_000,
    });

  it('spends the cost, then throws RATE_LIMITED with retryAfter and the headers of a 429', async () => {
    const limits = limiter();
    expect((await chargeOperationCost(limits, dash, 8)).headers['RateLimit']).toBe('"client-cost";r=2;t=48');
    const refused = await chargeOperationCost(limits, dash, 3).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 6, headers: { 'Retry-After': '6', RateLimit: '"client-cost";r=2;t=6' } });
    expect((await chargeOperationCost(limits, dash, 2)).allowed).toBe(true);
  });

  it('becomes, at the boundary, a GraphQL error whose extensions.http Apollo turns into the 429', async () => {
    const refused = await chargeOperationCost(limiter(), dash, 11).catch((error: unknown) => error);
    const error = operationErrorOf(refused);
    expect(error.originalError).toBe(refused);
    const http = error.extensions['http'] as { status: number; headers: Map<string, string> };
    expect(http.status).toBe(429);
    expect(Object.fromEntries(http.headers)).toEqual({ 'retry-after': '60', 'ratelimit-policy': '"client-cost";q=10;w=60', ratelimit: '"client-cost";r=10;t=60' });
    expect(error.extensions['code']).toBe('RATE_LIMITED');
  });

  it('charges an operation that costs nothing nothing, and leaves the request\'s RateLimit fields as they are', async () => {
    const limits = limiter();
    const charge = operationCostCharger(limits);
    const context = { principal: dash } as OperationContext;
    const http = { headers: new HeaderMap() };
    await charge(context, { cost: 0 }, http);
    expect([...http.headers]).toEqual([]);
    await charge(context, { cost: 4 }, http);
    expect(http.headers.get('ratelimit')).toBe('"client-cost";r=6;t=24');
  });

  it('sets no HTTP status for other errors: Apollo answers those as it does', () => {
    const error = operationErrorOf(new UpstreamError(ErrorCode.UpstreamTimeout, 'stripe', 'Stripe did not answer in time'));
    expect(error.extensions['http']).toBeUndefined();
    expect(error.extensions['code']).toBe('UPSTREAM_TIMEOUT');
  });
});
