import { Pool } from 'undici';
import { z } from 'zod';
import { ErrorCode, UpstreamError, type ProviderName } from '../../errors.ts';
import type { CallContext } from '../call-context.ts';
import type { Credential } from './credential.ts';

export interface OAuthRefreshOptions {
  provider: ProviderName;
  /** e.g. https://api.hubapi.com/oauth/v1/token */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** Refresh this long before the access token expires. */
  refreshMarginMs: number;
  timeoutMs: number;
  now?: () => number;
}

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.number().positive(),
});

/**
 * OAuth 2.0 refresh-token flow (RFC 6749 §6), as HubSpot runs it at `POST /oauth/v1/token`. The
 * access token is refreshed before it expires, with one refresh in flight per credential however
 * many calls need it; a 401 drops it so the next call refreshes. A rotated refresh token replaces
 * the old one. No token, secret or answer body ever reaches a log or an error message.
 */
export class OAuthRefreshToken implements Credential {
  private token: { value: string; expiresAt: number } | undefined;
  private refreshing: Promise<string> | undefined;
  private refreshToken: string;
  private readonly pool: Pool;
  private readonly path: string;
  private readonly now: () => number;

  constructor(private readonly options: OAuthRefreshOptions) {
    if (!(options.refreshMarginMs >= 0)) throw new TypeError(`refreshMarginMs must not be negative: ${options.refreshMarginMs}`);
    if (!(options.timeoutMs > 0)) throw new TypeError(`timeoutMs must be positive: ${options.timeoutMs}`);
    this.now = options.now ?? Date.now;
    this.refreshToken = options.refreshToken;
    const url = new URL(options.tokenUrl);
    this.pool = new Pool(url.origin, { connections: 2, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
    this.path = url.pathname;
  }

  get identity(): string {
    return `${this.options.clientId}:${this.options.refreshToken}`;
  }

  async authorization(call: CallContext): Promise<string> {
    const current = this.token;
    if (current && current.expiresAt - this.options.refreshMarginMs > this.now()) return `Bearer ${current.value}`;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    return `Bearer ${await call.within(this.refreshing, this.options.provider)}`;
  }

  /**
   * Only the token that was refused is dropped: N calls refused on the same token cause one
   * refresh, and a 401 that arrives after a refresh keeps the newer token.
   */
  async renew(refused: string): Promise<boolean> {
    if (this.token && `Bearer ${this.token.value}` === refused) this.token = undefined;
    return true;
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async refresh(): Promise<string> {
    const { provider } = this.options;
    const failed = (detail: string, code: ErrorCode = ErrorCode.UpstreamUnauthorized) =>
      new UpstreamError(code, provider, `${provider} did not grant an access token`, { detail });
    let status: number;
    let text: string;
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: this.path,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: this.options.clientId,
          client_secret: this.options.clientSecret,
          refresh_token: this.refreshToken,
        }).toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      throw failed(`token endpoint unreachable: ${(error as { code?: string }).code ?? 'error'}`, ErrorCode.UpstreamUnavailable);
    }
    if (status >= 500) throw failed(`token endpoint HTTP ${status}`, ErrorCode.UpstreamUnavailable);
    if (status !== 200) throw failed(`token endpoint HTTP ${status}`);
    let parsed: z.output<typeof tokenAnswer>;
    try {
      parsed = tokenAnswer.parse(JSON.parse(text));
    } catch {
      throw failed('token endpoint answer unreadable', ErrorCode.UpstreamBadResponse);
    }
    if (parsed.refresh_token) this.refreshToken = parsed.refresh_token;
    this.token = { value: parsed.access_token, expiresAt: this.now() + parsed.expires_in * 1000 };
    return parsed.access_token;
  }
}
