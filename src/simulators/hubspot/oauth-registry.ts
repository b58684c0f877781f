import { randomBytes } from 'node:crypto';
import type { SimRequest, SimResponse } from '../shared/sim-request.ts';

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  /** Refresh tokens of the app's installations. */
  refreshTokens: readonly string[];
  /** `expires_in` of issued access tokens; HubSpot's is 1800 s. */
  accessTokenTtlSeconds: number;
}

interface IssuedToken {
  refreshToken: string;
  expiresAt: number;
}

/**
 * HubSpot's OAuth token endpoint and the access tokens it issued. Refresh tokens do not rotate
 * (HubSpot returns the same one), so a client may keep using the one it has.
 */
export class OAuthRegistry {
  readonly #client: OAuthClient;
  readonly #clock: () => number;
  readonly #issued = new Map<string, IssuedToken>();

  constructor(client: OAuthClient, clock: () => number) {
    this.#client = client;
    this.#clock = clock;
  }

  lookup(accessToken: string): IssuedToken | undefined {
    return this.#issued.get(accessToken);
  }

  /** `POST /oauth/v1/token`, form body `grant_type=refresh_token&client_id&client_secret&refresh_token`. */
  exchange(req: SimRequest): SimResponse {
    const form = new URLSearchParams(req.body.toString('utf8'));
    const fail = (status: string, message: string): SimResponse => ({
      status: 400,
      body: { status, message, correlationId: req.requestId },
    });
    if (form.get('grant_type') !== 'refresh_token') return fail('BAD_GRANT_TYPE', 'grant_type must be refresh_token');
    if (form.get('client_id') !== this.#client.clientId) return fail('BAD_CLIENT_ID', 'missing or unknown client id');
    if (form.get('client_secret') !== this.#client.clientSecret) return fail('BAD_CLIENT_SECRET', 'missing or unknown client secret');
    const refreshToken = form.get('refresh_token') ?? '';
    if (!this.#client.refreshTokens.includes(refreshToken)) return fail('BAD_REFRESH_TOKEN', 'missing or unknown refresh token');

    const accessToken = `sim-oat-${randomBytes(24).toString('base64url')}`;
    const ttl = this.#client.accessTokenTtlSeconds;
    this.#issued.set(accessToken, { refreshToken, expiresAt: this.#clock() + ttl * 1000 });
    return {
      status: 200,
      body: { access_token: accessToken, refresh_token: refreshToken, expires_in: ttl, token_type: 'bearer' },
    };
  }

  reset(): void {
    this.#issued.clear();
  }
}
