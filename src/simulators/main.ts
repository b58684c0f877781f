/**
 * `npm run sim`: the three simulators on fixed ports for manual work against the gateway.
 *   SIM_HOST            default 127.0.0.1
 *   SIM_CUSTOMERS_PORT  default 4101
 *   SIM_STRIPE_PORT     default 4102
 *   SIM_HUBSPOT_PORT    default 4103
 *   SIM_LATENCY_MS      default 0, latency added to every answer
 *   SIM_HUBSPOT_ASSOCIATION_PAGE_SIZE  default 500, the most associations per HubSpot v4 page
 *   SIM_CUSTOMERS_WEBHOOK_URL, SIM_STRIPE_WEBHOOK_URL, SIM_HUBSPOT_WEBHOOK_URL
 *                       default none: where each simulator sends its signed webhooks (also
 *                       settable at run time with POST /_sim/webhooks; POST /_sim/reset clears it)
 */
import { startSimulators } from './index.ts';

function integer(name: string, fallback: number, max: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new TypeError(`${name} must be an integer from ${min} to ${max}: '${raw}'`);
  }
  return value;
}

const port = (name: string, fallback: number) => integer(name, fallback, 65_535);

function webhookUrl(name: string): string | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^https?:\/\/\S+$/.test(raw)) throw new TypeError(`${name} must be an http(s) URL: '${raw}'`);
  return raw;
}

function host(): string {
  const raw = process.env.SIM_HOST;
  if (raw === undefined || raw === '') return '127.0.0.1';
  if (/\s/.test(raw)) throw new TypeError(`SIM_HOST must be a host name or address: '${raw}'`);
  return raw;
}

async function main(): Promise<void> {
  const options = {
    host: host(),
    ports: {
      customers: port('SIM_CUSTOMERS_PORT', 4101),
      stripe: port('SIM_STRIPE_PORT', 4102),
      hubspot: port('SIM_HUBSPOT_PORT', 4103),
    },
    latencyMs: integer('SIM_LATENCY_MS', 0, 60_000),
    hubspotAssociationPageSize: integer('SIM_HUBSPOT_ASSOCIATION_PAGE_SIZE', 500, 500, 1),
  };
  const webhooks = {
    customers: webhookUrl('SIM_CUSTOMERS_WEBHOOK_URL'),
    stripe: webhookUrl('SIM_STRIPE_WEBHOOK_URL'),
    hubspot: webhookUrl('SIM_HUBSPOT_WEBHOOK_URL'),
  };
  const sims = await startSimulators(options);
  for (const name of ['customers', 'stripe', 'hubspot'] as const) {
    const url = webhooks[name];
    if (url !== undefined) sims[name].webhooks.configure([{ url }]);
  }
  const { credentials: c } = sims;
  console.log(`customers  ${sims.customers.url}   Authorization: Bearer ${c.customersToken}`);
  console.log(`stripe     ${sims.stripe.url}   Authorization: Bearer ${c.stripeSecretKey}`);
  console.log(`hubspot    ${sims.hubspot.url}   Authorization: Bearer ${c.hubspotToken}`);
  console.log(`           OAuth client ${c.hubspotClientId} / ${c.hubspotClientSecret}, refresh token ${c.hubspotRefreshToken}`);
  console.log(`webhooks   signed with ${c.customersWebhookSecret} (customers), ${c.stripeWebhookSecret} (stripe), the client secret (hubspot)`);
  console.log('admin      GET /_sim/stats, GET|POST /_sim/faults, GET|POST /_sim/webhooks, POST /_sim/mutate, POST /_sim/reset on each');

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: closing simulators`);
    sims.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
