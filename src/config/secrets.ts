import { readSecretFile } from '../auth/structured-file.ts';
import type { WebhookSecrets } from '../config.ts';
import type { ConfigProblems } from './config-problems.ts';
import type { Env } from './env-schema.ts';

export const REMOTE_REQUIRED = 'is required when any provider is configured (remote mode)';

/**
 * A secret from `NAME`, or from the file `NAME_FILE` points to (container secret managers);
 * undefined when neither is set, or when what is set is wrong (then a problem says why).
 * Problems name the variable and the file, never the value.
 */
export function optionalSecret(env: Env, name: string, problems: ConfigProblems): string | undefined {
  const direct = env[name]?.trim();
  const file = env[`${name}_FILE`]?.trim();
  if (direct && file) {
    problems.add(name, `set either ${name} or ${name}_FILE, not both`);
    return undefined;
  }
  if (!file) return direct || undefined;
  const read = readSecretFile(file);
  if ('problem' in read) {
    problems.add(`${name}_FILE`, read.problem);
    return undefined;
  }
  return read.secret;
}

/** As optionalSecret, and its absence is a problem too; '' stands in for a missing one. */
export function requiredSecret(env: Env, name: string, problems: ConfigProblems, why = REMOTE_REQUIRED): string {
  const value = optionalSecret(env, name, problems);
  if (value === undefined && !problems.any(name, `${name}_FILE`)) problems.add(name, why);
  return value ?? '';
}

/**
 * Each provider's secrets: comma separated (a rotation), inline or from `<NAME>_FILE`. HubSpot
 * signs v3 webhooks with the app's client secret, so the OAuth one (already read) is the default.
 */
export function webhookSecrets(env: Env, problems: ConfigProblems, hubspotClientSecret: string | undefined): WebhookSecrets {
  const list = (name: string) => (optionalSecret(env, name, problems) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const secrets: WebhookSecrets = {};
  const stripe = list('STRIPE_WEBHOOK_SECRETS');
  if (stripe.some((value) => !value.startsWith('whsec_'))) problems.add('STRIPE_WEBHOOK_SECRETS', 'each secret must be a Stripe endpoint secret (whsec_…)');
  if (stripe.length > 0) secrets.stripe = stripe;
  const hubspot = list('HUBSPOT_WEBHOOK_SECRETS');
  if (hubspot.length > 0) secrets.hubspot = hubspot;
  else if (hubspotClientSecret) secrets.hubspot = [hubspotClientSecret];
  const customers = list('CUSTOMERS_WEBHOOK_SECRETS');
  if (customers.some((value) => !/^(whsec_)?[A-Za-z0-9+/]+={0,2}$/.test(value))) {
    problems.add('CUSTOMERS_WEBHOOK_SECRETS', 'each secret must be a Standard Webhooks secret (whsec_ followed by base64)');
  }
  if (customers.length > 0) secrets.customers = customers;
  return secrets;
}
