import type { GatewayConfig } from '../config.ts';
import { startSimulators, type SimulatorSet } from '../simulators/index.ts';
import { createGateway, type Gateway } from './create-gateway.ts';
import type { ProviderEndpoints, TenantEndpoints } from './upstream-stack.ts';

export interface Running {
  gateway: Gateway;
  /** Present in embedded mode. */
  simulators?: SimulatorSet;
  close(): Promise<void>;
}

/**
 * Starts what the configuration asks for: in embedded mode the three simulators in-process on
 * free ports first, then the gateway pointed at them (its one tenant); in remote mode the gateway
 * alone, with the tenant of the provider variables (if set) and those of TENANTS_FILE.
 */
export async function start(config: GatewayConfig, logStream?: NodeJS.WritableStream, now?: () => number): Promise<Running> {
  let simulators: SimulatorSet | undefined;
  const tenants: TenantEndpoints[] = config.tenants.map((tenant) => ({ id: tenant.id, endpoints: tenant.providers, rateLimits: tenant.rateLimits, webhookSecrets: tenant.webhookSecrets }));
  if (config.mode === 'embedded') {
    simulators = await startSimulators({ host: '127.0.0.1', latencyMs: config.simLatencyMs });
    const { credentials } = simulators;
    tenants.unshift({
      id: config.defaultTenantId,
      endpoints: simulatorEndpoints(simulators),
      rateLimits: config.rateLimits,
      webhookSecrets: {
        stripe: [credentials.stripeWebhookSecret],
        hubspot: [credentials.hubspotClientSecret],
        customers: [credentials.customersWebhookSecret],
      },
    });
  } else if (config.providers) {
    tenants.unshift({ id: config.defaultTenantId, endpoints: config.providers, rateLimits: config.rateLimits, webhookSecrets: config.webhookSecrets });
  }
  try {
    const gateway = await createGateway({ config, tenants, ...(logStream ? { logStream } : {}), ...(now ? { now } : {}) });
    if (simulators) pointWebhooksAt(gateway, simulators);
    return {
      gateway,
      ...(simulators ? { simulators } : {}),
      close: async () => {
        await gateway.close();
        await simulators?.close();
      },
    };
  } catch (error) {
    await simulators?.close();
    throw error;
  }
}

/**
 * The embedded providers push their changes to the gateway, as real ones do once their
 * dashboards point at /webhooks/<provider>: every change made through them is signed and sent.
 */
export function pointWebhooksAt(gateway: Gateway, simulators: SimulatorSet): void {
  const base = new URL(gateway.url);
  base.pathname = '/webhooks';
  for (const handle of [simulators.customers, simulators.stripe, simulators.hubspot]) handle.webhooks.configure([{ url: `${base.toString()}/${handle.name}` }]);
}

/** The three simulated providers as a tenant reaches them, with the simulators' own credentials. */
export function simulatorEndpoints(simulators: SimulatorSet): ProviderEndpoints {
  const { credentials } = simulators;
  return {
    customers: { url: simulators.customers.url, auth: { kind: 'bearer', token: credentials.customersToken } },
    stripe: { url: simulators.stripe.url, auth: { kind: 'bearer', token: credentials.stripeSecretKey } },
    hubspot: { url: simulators.hubspot.url, auth: { kind: 'bearer', token: credentials.hubspotToken } },
  };
}
