/**
 * What a peer reads from its environment: the same variable names Tributary uses, so that one
 * environment drives every system under test.
 *
 *   PORT, HOST                                   where to listen (HOST default 127.0.0.1)
 *   CUSTOMERS_API_URL, CUSTOMERS_API_TOKEN       the customer service
 *   STRIPE_API_URL, STRIPE_SECRET_KEY            Stripe
 *   HUBSPOT_API_URL, HUBSPOT_ACCESS_TOKEN        HubSpot
 */
export interface ProviderEndpoint {
  /** Origin without a trailing slash. */
  url: string;
  /** Sent as `Authorization: Bearer …`. */
  token: string;
}

export interface PeerConfig {
  port: number;
  host: string;
  customers: ProviderEndpoint;
  stripe: ProviderEndpoint;
  hubspot: ProviderEndpoint;
}

export function readPeerConfig(env: NodeJS.ProcessEnv = process.env): PeerConfig {
  return {
    port: port(env),
    host: env['HOST']?.trim() || '127.0.0.1',
    customers: endpoint(env, 'CUSTOMERS_API_URL', 'CUSTOMERS_API_TOKEN'),
    stripe: endpoint(env, 'STRIPE_API_URL', 'STRIPE_SECRET_KEY'),
    hubspot: endpoint(env, 'HUBSPOT_API_URL', 'HUBSPOT_ACCESS_TOKEN'),
  };
}

function port(env: NodeJS.ProcessEnv): number {
  const raw = env['PORT']?.trim() ?? '';
  if (!/^\d+$/.test(raw) || Number(raw) > 65_535) throw new TypeError(`PORT must be an integer from 0 to 65535: '${raw}'`);
  return Number(raw);
}

function endpoint(env: NodeJS.ProcessEnv, urlVariable: string, tokenVariable: string): ProviderEndpoint {
  const url = env[urlVariable]?.trim();
  const token = env[tokenVariable]?.trim();
  if (!url) throw new TypeError(`${urlVariable} is required`);
  if (!token) throw new TypeError(`${tokenVariable} is required`);
  return { url: url.replace(/\/+$/, ''), token };
}
