import type { GatewayConfig } from '../config.ts';
import { startSimulators, type SimulatorSet } from '../simulators/index.ts';
import { createGateway, type Gateway } from './create-gateway.ts';
import type { ProviderEndpoints } from './upstream-stack.ts';

export interface Running {
  gateway: Gateway;
  /** Present in embedded mode. */
  simulators?: SimulatorSet;
  close(): Promise<void>;
}

/**
 * Starts what the configuration asks for: in embedded mode the three simulators in-process on
 * free ports first, then the gateway pointed at them; in remote mode the gateway alone.
 */
export async function start(config: GatewayConfig, logStream?: NodeJS.WritableStream, now?: () => number): Promise<Running> {
  let simulators: SimulatorSet | undefined;
  let endpoints: ProviderEndpoints;
  if (config.mode === 'embedded' || !config.providers) {
    simulators = await startSimulators({ host: '127.0.0.1', latencyMs: config.simLatencyMs });
    const { credentials } = simulators;
    endpoints = {
      customers: { url: simulators.customers.url, auth: { kind: 'bearer', token: credentials.customersToken } },
      stripe: { url: simulators.stripe.url, auth: { kind: 'bearer', token: credentials.stripeSecretKey } },
      hubspot: { url: simulators.hubspot.url, auth: { kind: 'bearer', token: credentials.hubspotToken } },
    };
  } else {
    endpoints = config.providers;
  }
  try {
    const gateway = await createGateway({ config, endpoints, ...(logStream ? { logStream } : {}), ...(now ? { now } : {}) });
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
