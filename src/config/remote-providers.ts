import type { AuthConfig, ProviderEndpoint } from '../config.ts';
import type { ProviderName } from '../errors.ts';
import type { ConfigProblems } from './config-problems.ts';
import type { Env, EnvValues } from './env-schema.ts';
import { REMOTE_REQUIRED, requiredSecret } from './secrets.ts';

/** Setting any of these (or its `_FILE`) selects remote mode with a tenant of its own: all become required. */
export const PROVIDER_VARIABLES = [
  'CUSTOMERS_API_URL', 'CUSTOMERS_API_TOKEN', 'STRIPE_API_URL', 'STRIPE_SECRET_KEY', 'HUBSPOT_API_URL', 'HUBSPOT_ACCESS_TOKEN',
  'HUBSPOT_CLIENT_ID', 'HUBSPOT_CLIENT_SECRET', 'HUBSPOT_REFRESH_TOKEN',
] as const;
const HUBSPOT_OAUTH = ['HUBSPOT_CLIENT_ID', 'HUBSPOT_CLIENT_SECRET', 'HUBSPOT_REFRESH_TOKEN'] as const;

export const isSet = (env: Env, name: string) => (env[name]?.trim() ?? '') !== '';
const isSetOrFile = (env: Env, name: string) => isSet(env, name) || isSet(env, `${name}_FILE`);

export const singleTenantConfigured = (env: Env) => PROVIDER_VARIABLES.some((name) => isSetOrFile(env, name));

/**
 * The default tenant's accounts from the provider variables. Every missing or bad one is
 * reported, not only the first: remote mode used to take one start-up attempt per variable.
 */
export function remoteProviders(env: Env, values: EnvValues, problems: ConfigProblems): Record<ProviderName, ProviderEndpoint> {
  if (values.CUSTOMERS_API_URL === undefined && !problems.any('CUSTOMERS_API_URL')) problems.add('CUSTOMERS_API_URL', REMOTE_REQUIRED);
  const customersToken = requiredSecret(env, 'CUSTOMERS_API_TOKEN', problems);
  const stripeKey = requiredSecret(env, 'STRIPE_SECRET_KEY', problems);
  if (stripeKey && !/^(sk|rk)_(test|live)_\w+$/.test(stripeKey)) {
    problems.add('STRIPE_SECRET_KEY', 'must be a Stripe secret or restricted key (sk_test_…, sk_live_…)');
  }
  return {
    customers: { url: values.CUSTOMERS_API_URL ?? '', auth: { kind: 'bearer', token: customersToken } },
    stripe: { url: values.STRIPE_API_URL, auth: { kind: 'bearer', token: stripeKey } },
    hubspot: { url: values.HUBSPOT_API_URL, auth: hubspotAuth(env, values, problems) },
  };
}

/** A private app token, or the OAuth refresh-token flow: exactly one of the two. */
function hubspotAuth(env: Env, values: EnvValues, problems: ConfigProblems): AuthConfig {
  const oauth = HUBSPOT_OAUTH.some((name) => isSetOrFile(env, name));
  if (oauth && isSetOrFile(env, 'HUBSPOT_ACCESS_TOKEN')) {
    problems.add('HUBSPOT_ACCESS_TOKEN', 'set either a private app token or HUBSPOT_CLIENT_ID/SECRET/REFRESH_TOKEN, not both');
  }
  if (!oauth) return { kind: 'bearer', token: requiredSecret(env, 'HUBSPOT_ACCESS_TOKEN', problems) };
  if (values.HUBSPOT_CLIENT_ID === undefined) problems.add('HUBSPOT_CLIENT_ID', 'is required for HubSpot OAuth');
  return {
    kind: 'oauth-refresh',
    tokenUrl: new URL('/oauth/v1/token', values.HUBSPOT_API_URL).toString(),
    clientId: values.HUBSPOT_CLIENT_ID ?? '',
    clientSecret: requiredSecret(env, 'HUBSPOT_CLIENT_SECRET', problems, 'is required for HubSpot OAuth'),
    refreshToken: requiredSecret(env, 'HUBSPOT_REFRESH_TOKEN', problems, 'is required for HubSpot OAuth'),
  };
}

/** Whether the provider variables hold a live Stripe key: its budget is then the live one. */
export function liveStripeKey(providers: Record<ProviderName, ProviderEndpoint> | undefined): boolean {
  const auth = providers?.stripe.auth;
  return auth?.kind === 'bearer' && /^(sk|rk)_live_/.test(auth.token);
}
