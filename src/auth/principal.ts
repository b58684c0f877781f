/**
 * The scopes a principal may hold. Reads need the `:read` scope of their data's family; writes
 * (later) the `:write` one; `ops:read` shows operators the gateway's internals (/readyz details,
 * dead letters), `ops:write` lets them act on them (replay or drop a dead letter).
 */
export const SCOPES = ['customers:read', 'payments:read', 'crm:read', 'customers:write', 'payments:write', 'crm:write', 'ops:read', 'ops:write'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Who is asking: resolved once per request by src/auth/ and read by everything after it. */
export interface Principal {
  /**
   * How it proved itself; `anonymous` only where no authentication is configured (the embedded
   * default); `system` is the gateway itself, reading on behalf of an event.
   */
  readonly kind: 'anonymous' | 'api-key' | 'jwt' | 'system';
  /** Stable id of the calling application, used for per-client limits and fairness. */
  readonly clientId: string;
  /** The tenant whose provider accounts and data every call of this request uses. */
  readonly tenantId: string;
  readonly scopes: ReadonlySet<Scope>;
  /**
   * When the credentials stop being valid (a JWT's `exp`, ms since the epoch); absent for API
   * keys. A request ends well before; a WebSocket connection is closed when it passes.
   */
  readonly expiresAt?: number;
}

