import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JwtVerifier, type JwtSettings } from '../../src/auth/jwt-verifier.ts';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const SETTINGS: Omit<JwtSettings, 'jwksUrl' | 'publicKeyPem'> = {
  issuer: 'https://issuer.example',
  audience: 'tributary',
  algorithms: ['ES256', 'RS256'],
  clockSkewSeconds: 30,
  tenantClaim: 'tenant',
  clientClaim: 'client_id',
};

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

function token(key: Key, claims: Record<string, unknown>, options: { alg?: string; kid?: string; issuer?: string; audience?: string; expiresAt?: number } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'ES256', ...(options.kid ? { kid: options.kid } : {}) })
    .setIssuer(options.issuer ?? SETTINGS.issuer)
    .setAudience(options.audience ?? SETTINGS.audience)
    .setIssuedAt(Math.floor(NOW / 1000))
    .setExpirationTime(Math.floor((options.expiresAt ?? NOW + 600_000) / 1000))
    .sign(key);
}

describe('JWT verification', () => {
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let other: Awaited<ReturnType<typeof generateKeyPair>>;
  let jwks: Server;
  let jwksUrl: string;
  let jwksRequests = 0;

  beforeAll(async () => {
    keys = await generateKeyPair('ES256', { extractable: true });
    other = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => {
      jwksRequests += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    await new Promise((resolve) => jwks?.close(resolve));
  });

  const tenants = new Set(['acme', 'globex']);

  it('turns a valid token into a principal: tenant and client from claims, scopes from `scope` or `scp`', async () => {
    const verifier = new JwtVerifier({ ...SETTINGS, publicKeyPem: await exportSPKI(keys.publicKey) }, tenants, () => NOW);
    expect(await verifier.verify(await token(keys.privateKey, { tenant: 'acme', client_id: 'dashboard', scope: 'customers:read payments:read unknown:scope' }))).toEqual({
      kind: 'jwt',
      clientId: 'dashboard',
      tenantId: 'acme',
      scopes: new Set(['customers:read', 'payments:read']),
      expiresAt: expect.any(Number), // the token's exp, which ends a WebSocket connection
    });
    const bySub = await verifier.verify(await token(keys.privateKey, { tenant: 'globex', sub: 'svc-reports', scp: ['crm:read'] }));
    expect(bySub).toEqual({ kind: 'jwt', clientId: 'svc-reports', tenantId: 'globex', scopes: new Set(['crm:read']), expiresAt: expect.any(Number) });
  });

  it('refuses a wrong signature, issuer, audience, algorithm, tenant, and an expired token past the skew', async () => {
    const verifier = new JwtVerifier({ ...SETTINGS, publicKeyPem: await exportSPKI(keys.publicKey) }, tenants, () => NOW);
    const claims = { tenant: 'acme', client_id: 'dashboard', scope: 'customers:read' };
    const refused = [
      await token(other.privateKey, claims),
      await token(keys.privateKey, claims, { issuer: 'https://evil.example' }),
      await token(keys.privateKey, claims, { audience: 'someone-else' }),
      await token(keys.privateKey, { ...claims, tenant: 'initech' }),
      await token(keys.privateKey, { ...claims, tenant: undefined }),
      await token(keys.privateKey, claims, { expiresAt: NOW - 31_000 }),
      // alg "none": an unsigned token must never pass.
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, iss: SETTINGS.issuer, aud: SETTINGS.audience, exp: NOW / 1000 + 60 })).toString('base64url')}.`,
    ];
    for (const jwt of refused) expect(await verifier.verify(jwt)).toHaveProperty('refused');
    // Within the allowed skew, a token that expired a moment ago still passes.
    expect(await verifier.verify(await token(keys.privateKey, claims, { expiresAt: NOW - 10_000 }))).toHaveProperty('tenantId', 'acme');
  });

  it('fetches keys from a JWKS URL, once for many tokens', async () => {
    const verifier = new JwtVerifier({ ...SETTINGS, jwksUrl }, tenants, () => NOW);
    for (let i = 0; i < 5; i += 1) {
      expect(await verifier.verify(await token(keys.privateKey, { tenant: 'acme', client_id: `c${i}` }, { kid: 'k1' }))).toHaveProperty('clientId', `c${i}`);
    }
    expect(jwksRequests).toBe(1);
    expect(await verifier.verify(await token(other.privateKey, { tenant: 'acme', client_id: 'x' }, { kid: 'k1' }))).toHaveProperty('refused');
  });

  it('says the token could not be checked, rather than refused, when the JWKS endpoint fails or is gone', async () => {
    const failing = createServer((_req, res) => {
      res.statusCode = 500;
      res.end('oops');
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const port = (failing.address() as AddressInfo).port;
    const jwt = await token(keys.privateKey, { tenant: 'acme', client_id: 'dashboard' }, { kid: 'k1' });
    expect(await new JwtVerifier({ ...SETTINGS, jwksUrl: `http://127.0.0.1:${port}/jwks` }, tenants, () => NOW).verify(jwt)).toHaveProperty('unavailable');
    await new Promise((resolve) => failing.close(resolve));
    expect(await new JwtVerifier({ ...SETTINGS, jwksUrl: `http://127.0.0.1:${port}/jwks` }, tenants, () => NOW).verify(jwt)).toHaveProperty('unavailable');
  });
});
