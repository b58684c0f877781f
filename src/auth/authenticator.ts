import type { ApiKeyRegistry } from './api-key-registry.ts';
import type { JwtVerifier } from './jwt-verifier.ts';
import type { Principal } from './principal.ts';

/** `unavailable`: the credential could not be checked (its issuer's keys are out of reach). */
export type AuthOutcome = { principal: Principal } | { refused: string } | { unavailable: string };

export interface AuthenticatorOptions {
  apiKeys?: ApiKeyRegistry;
  jwt?: JwtVerifier;
  /**
   * Who requests act as when no authentication is configured (the embedded default only:
   * production refuses to start that way). Credentials, if sent, are then ignored.
   */
  anonymous?: Principal;
}

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const MAX_CREDENTIAL_LENGTH = 8 * 1024;

/**
 * Resolves a request's credentials to its principal. A credential is `Authorization: Bearer …`
 * (an API key or a JWT, told apart by shape) or `X-API-Key: …`; sending both is refused as
 * ambiguous. A refusal carries a reason for the logs; clients only ever learn "401".
 */
export class Authenticator {
  constructor(private readonly options: AuthenticatorOptions) {
    if (!options.anonymous && !options.apiKeys && !options.jwt) throw new TypeError('an Authenticator needs API keys, a JWT verifier or an anonymous principal');
  }

  async authenticate(headers: Record<string, string | string[] | undefined>): Promise<AuthOutcome> {
    return this.outcomeOf(headers);
  }

  /**
   * The same answer as `authenticate`, synchronously unless a JWT must be verified: an API key is
   * checked in place, so the request hook that calls this on every request costs no promise.
   */
  outcomeOf(headers: Record<string, string | string[] | undefined>): AuthOutcome | Promise<AuthOutcome> {
    if (this.options.anonymous) return { principal: this.options.anonymous };
    const authorization = single(headers['authorization']);
    const apiKeyHeader = single(headers['x-api-key']);
    if (authorization === null || apiKeyHeader === null) return { refused: 'a credential header sent twice' };
    if (authorization !== undefined && apiKeyHeader !== undefined) return { refused: 'both Authorization and X-API-Key' };
    let credential = apiKeyHeader?.trim();
    if (authorization !== undefined) {
      const bearer = /^Bearer +(\S+) *$/i.exec(authorization);
      if (!bearer) return { refused: 'Authorization is not a Bearer credential' };
      credential = bearer[1];
    }
    if (!credential) return { refused: 'no credential' };
    if (credential.length > MAX_CREDENTIAL_LENGTH) return { refused: 'credential too long' };
    const { jwt, apiKeys } = this.options;
    if (jwt && JWT_SHAPE.test(credential)) {
      return jwt.verify(credential).then((verified) => {
        if ('refused' in verified) return { refused: `JWT: ${verified.refused}` };
        return 'unavailable' in verified ? verified : { principal: verified };
      });
    }
    const principal = apiKeys?.authenticate(credential);
    return principal ? { principal } : { refused: 'unknown API key' };
  }
}

/** `null` when the header came more than once. */
function single(value: string | string[] | undefined): string | undefined | null {
  if (Array.isArray(value)) return value.length === 1 ? value[0] : null;
  return value;
}
