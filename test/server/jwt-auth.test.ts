import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, tempFile } from '../support/auth.ts';
import { toGlobalId } from '../../src/model/global-id.ts';
import { eventually } from '../support/eventually.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { SubscriptionClient } from './subscriptions/subscription-client.ts';

const ISSUER = 'https://login.example.com/';
const AUDIENCE = 'https://tributary.example.com';

describe('JWT bearer credentials over HTTP', () => {
  let stack: GatewayStack;
  let sign: (claims: Record<string, unknown>, expiresAtSeconds: number) => Promise<string>;
  // The gateway checks expiry against this clock: the test moves it instead of waiting.
  let now = Date.parse('2026-11-28T12:00:00Z');

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    sign = (claims, exp) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime(exp).sign(privateKey);
    stack = await GatewayStack.start(
      { JWT_PUBLIC_KEY_FILE: tempFile('issuer.pem', await exportSPKI(publicKey)), JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_CLOCK_SKEW_SECONDS: '5' },
      () => now,
    );
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('serves a valid token with its scopes, and answers 401 once it has expired', async () => {
    const token = await sign({ tenant: 'sample', client_id: 'reports', scope: 'customers:read' }, now / 1000 + 60);
    const ok = await stack.post<{ customers: { edges: unknown[] } }>('{ customers(first: 2) { edges { node { id payments { edges { node { id } } } } } } }', {}, bearer(token));
    expect(ok.status).toBe(200);
    expect(ok.body.data?.customers.edges).toHaveLength(2);
    expect(new Set(ok.body.errors?.map((e) => e.extensions?.['code']))).toEqual(new Set(['FORBIDDEN']));

    now += 66_000;
    const expired = await stack.post('{ __typename }', {}, bearer(token));
    expect(expired.status).toBe(401);
    expect(expired.headers['www-authenticate']).toBe('Bearer realm="tributary"');
    expect(expired.body.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });

  it('closes a WebSocket connection whose token expired, before it reads another event for it', async () => {
    const token = await sign({ tenant: 'sample', client_id: 'dashboard', scope: 'customers:read' }, now / 1000 + 60);
    const client = new SubscriptionClient(stack.url, { authorization: `Bearer ${token}` });
    const customer = stack.dataset.customers[0]!;
    const results = client.subscribe(`subscription($id: ID!) { customerChanged(id: $id) { email } }`, { id: toGlobalId('Customer', customer.id) });
    const first = results.next();
    await eventually(async () => stack.gateway.events.changes.size > 0);
    const change = { tenantId: 'sample', topic: 'customer' as const, key: customer.id, occurredAt: now };
    stack.gateway.events.changes.publish(change);
    expect((await first).value).toEqual({ data: { customerChanged: { email: customer.email } } });

    now += 66_000;
    const second = results.next().catch((error: unknown) => error);
    stack.gateway.events.changes.publish(change);
    expect(await client.closed).toEqual({ code: 4401, reason: 'Credentials expired' });
    await second;
    await client.close();
  });

  it('refuses a token for a tenant that is not configured', async () => {
    const token = await sign({ tenant: 'globex', client_id: 'reports', scope: 'customers:read' }, now / 1000 + 60);
    expect((await stack.post('{ __typename }', {}, bearer(token))).status).toBe(401);
  });
});

describe('JWT bearer credentials while the issuer\'s JWKS endpoint is down', () => {
  it('answers 503 AUTHENTICATION_UNAVAILABLE with Retry-After, not 401', async () => {
    const jwks = createServer((_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const stack = await GatewayStack.start({ JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE });
    try {
      const { privateKey } = await generateKeyPair('ES256');
      const token = await new SignJWT({ tenant: 'sample', client_id: 'reports' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(privateKey);
      const answer = await stack.post('{ __typename }', {}, bearer(token));
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe('5');
      expect(answer.body.errors?.[0]?.extensions).toEqual({ code: 'AUTHENTICATION_UNAVAILABLE', retryAfter: 5 });
    } finally {
      await stack.close();
      await new Promise((resolve) => jwks.close(resolve));
    }
  });
});
