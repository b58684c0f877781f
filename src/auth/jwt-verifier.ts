import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { isScope, type Principal, type Scope } from './principal.ts';

export interface JwtSettings {
  /** Keys from a JWKS endpoint (rotated by the issuer)… */
  jwksUrl?: string;
  /** …or one PEM public key (SPKI or X.509 certificate). */
  publicKeyPem?: string;
  issuer: string;
  audience: string;
  /** Accepted `alg` values; never `none`, never an HMAC (the gateway holds no shared secret). */
  algorithms: string[];
  /** Tolerated difference between the issuer's clock and ours for `exp` and `nbf`, in seconds. */
  clockSkewSeconds: number;
  /** The claim naming the tenant (default `tenant`). */
  tenantClaim: string;
  /** The claim naming the client; `azp` and then `sub` are used when it is absent. */
  clientClaim: string;
}

/**
 * What jose throws when the JWKS endpoint did not give a key set: a timeout, a non-200 or bad JSON
 * (its generic error), or a network error from fetch (no code at all). Every token problem has a
 * specific code (ERR_JWS_SIGNATURE_VERIFICATION_FAILED, ERR_JWKS_NO_MATCHING_KEY, …).
 */
const JWKS_UNREADABLE = new Set<string | undefined>(['ERR_JWKS_TIMEOUT', 'ERR_JOSE_GENERIC', undefined]);

/** How long the JWKS endpoint may take, and how soon an unknown `kid` may trigger a refetch. */
const JWKS_TIMEOUT_MS = 5 * 1000; // 5 s
const JWKS_COOLDOWN_MS = 30 * 1000; // 30 s

/**
 * Verifies bearer JWTs with `jose`: signature (against the JWKS or the configured key), `iss`,
 * `aud`, `exp` and `nbf` with the allowed skew, and the algorithm list. The principal comes from
 * the claims: the tenant claim (which must name a configured tenant), the client claim, and the
 * scopes in `scope` (space-separated, RFC 8693 §4.2) or `scp` (an array, as some issuers send).
 */
export class JwtVerifier {
  private readonly key: KeyObject | JWTVerifyGetKey;

  constructor(
    private readonly settings: JwtSettings,
    private readonly tenants: ReadonlySet<string>,
    private readonly now: () => number = Date.now,
  ) {
    if (settings.jwksUrl) {
      this.key = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: JWKS_TIMEOUT_MS, cooldownDuration: JWKS_COOLDOWN_MS });
    } else if (settings.publicKeyPem) {
      this.key = createPublicKey(settings.publicKeyPem);
    } else {
      throw new TypeError('JwtVerifier needs jwksUrl or publicKeyPem');
    }
  }

  /**
   * The token's principal; or a reason (for the logs only) why it is refused; or, when the JWKS
   * endpoint cannot be read, that the token could not be checked at all: that is the issuer's
   * outage, not the client's fault, and must not read as "your token is bad" (clients drop their
   * tokens, or log their users out, on a 401).
   */
  async verify(token: string): Promise<Principal | { refused: string } | { unavailable: string }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key as JWTVerifyGetKey, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: this.settings.algorithms,
        clockTolerance: this.settings.clockSkewSeconds,
        currentDate: new Date(this.now()),
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (this.settings.jwksUrl && JWKS_UNREADABLE.has(code)) return { unavailable: code ?? (error as Error).message };
      return { refused: code ?? 'ERR_JWT_INVALID' };
    }
    const tenant = payload[this.settings.tenantClaim];
    if (typeof tenant !== 'string' || !this.tenants.has(tenant)) return { refused: 'unknown or missing tenant claim' };
    const client = [payload[this.settings.clientClaim], payload['azp'], payload.sub].find((value): value is string => typeof value === 'string' && value !== '');
    if (!client) return { refused: 'no client claim' };
    return { kind: 'jwt', clientId: client, tenantId: tenant, scopes: scopesOf(payload), ...(typeof payload.exp === 'number' ? { expiresAt: payload.exp * 1000 } : {}) };
  }
}

function scopesOf(payload: JWTPayload): Set<Scope> {
  const raw = payload['scope'];
  const listed = typeof raw === 'string' ? raw.split(' ') : Array.isArray(payload['scp']) ? payload['scp'] : [];
  return new Set(listed.filter((scope): scope is Scope => typeof scope === 'string' && isScope(scope)));
}
