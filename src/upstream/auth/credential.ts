import type { CallContext } from '../call-context.ts';

/** How the gateway proves who it is to one provider. */
export interface Credential {
  /**
   * Stable identity of the account behind it, for cache keys and quotas (only ever hashed). For
   * OAuth it is the app and refresh token, not the access token, which rotates.
   */
  readonly identity: string;
  /** The Authorization header value for the next call. */
  authorization(call: CallContext): Promise<string>;
  /**
   * After a 401 on `refused` (an authorization it handed out): drops it unless it has already
   * been replaced; true when the next authorization is worth one more try.
   */
  renew(refused: string): Promise<boolean>;
}

/** A token that never changes: an API key, a Stripe secret key, a HubSpot private app token. */
export class StaticBearer implements Credential {
  constructor(private readonly token: string) {}

  get identity(): string {
    return this.token;
  }

  async authorization(): Promise<string> {
    return `Bearer ${this.token}`;
  }

  async renew(): Promise<boolean> {
    return false;
  }
}
