import {
  SIM_CREDENTIALS,
  buildDataset,
  createCustomersSimulator,
  createHubSpotSimulator,
  createStripeSimulator,
  type SimulatorSet,
} from '../../src/simulators/index.ts';

type Sleep = (ms: number) => Promise<void>;

export interface SeededSimulatorOptions {
  /** Latency every simulator adds (in the simulators' own `sleep`); none by default. */
  latencyMs?: number;
  /** Each simulator's `sleep`, where a test holds answers; a simulator left out sleeps on a timer. */
  sleep?: Partial<Record<'customers' | 'stripe' | 'hubspot', Sleep>>;
  /** Run before the simulators close (to release what the test held). */
  beforeClose?: () => void;
}

/** The three simulators over the seed-42 dataset, with the test's own latency and sleeps. */
export async function startSeededSimulators({ latencyMs, sleep = {}, beforeClose }: SeededSimulatorOptions = {}): Promise<SimulatorSet> {
  const dataset = buildDataset(42);
  const credentials = SIM_CREDENTIALS;
  const common = { host: '127.0.0.1', dataset, ...(latencyMs === undefined ? {} : { latencyMs }) };
  const customers = await createCustomersSimulator({ ...common, ...(sleep.customers ? { sleep: sleep.customers } : {}), token: credentials.customersToken, webhookSecret: credentials.customersWebhookSecret });
  const stripe = await createStripeSimulator({ ...common, ...(sleep.stripe ? { sleep: sleep.stripe } : {}), secretKey: credentials.stripeSecretKey, webhookSecret: credentials.stripeWebhookSecret });
  const hubspot = await createHubSpotSimulator({ ...common, ...(sleep.hubspot ? { sleep: sleep.hubspot } : {}), token: credentials.hubspotToken });
  return {
    customers,
    stripe,
    hubspot,
    credentials,
    dataset,
    close: async () => {
      beforeClose?.();
      await Promise.all([customers.close(), stripe.close(), hubspot.close()]);
    },
  };
}
