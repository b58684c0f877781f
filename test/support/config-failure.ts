import { ConfigError, loadConfig } from '../../src/config.ts';

/** A complete single-tenant remote configuration (live Stripe key). */
export const REMOTE = {
  CUSTOMERS_API_URL: 'https://customers.internal',
  CUSTOMERS_API_TOKEN: 'cust-token-123',
  STRIPE_SECRET_KEY: 'sk_live_abcdef123456',
  HUBSPOT_ACCESS_TOKEN: 'pat-na1-abc',
};

/** The ConfigError `env` stops start-up with; fails the test if it is accepted. */
export function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted a bad configuration');
}
