import { createCustomersSimulator } from './customers/create-customers-simulator.ts';
import { buildDataset } from './dataset/build-dataset.ts';
import type { Dataset } from './dataset/dataset.ts';
import { createHubSpotSimulator } from './hubspot/create-hubspot-simulator.ts';
import type { SimulatorHandle } from './shared/simulator-options.ts';
import { SIM_CREDENTIALS, type SimulatorCredentials } from './sim-credentials.ts';
import { createStripeSimulator } from './stripe/create-stripe-simulator.ts';

export interface SimulatorSet {
  customers: SimulatorHandle;
  stripe: SimulatorHandle;
  hubspot: SimulatorHandle;
  credentials: SimulatorCredentials;
  /** The seeded state all three serve (before any refund). */
  dataset: Dataset;
  close(): Promise<void>;
}

export interface StartSimulatorsOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 each: ephemeral ports. */
  ports?: { customers?: number; stripe?: number; hubspot?: number };
  /** Default 42. */
  seed?: number;
  /** Initial fault latency for all three, in milliseconds. */
  latencyMs?: number;
  /** HubSpot's most associations per v4 page (see HubSpotSimulatorOptions); default 500. */
  hubspotAssociationPageSize?: number;
  /**
   * The account's own credentials instead of SIM_CREDENTIALS (another tenant's simulators),
   * webhook signing secrets included; the HubSpot OAuth app keeps the default client id and
   * secret, and so signs its webhooks with the default secret.
   */
  credentials?: Partial<
    Pick<SimulatorCredentials, 'customersToken' | 'stripeSecretKey' | 'hubspotToken' | 'stripeWebhookSecret' | 'customersWebhookSecret'>
  >;
  /** Waits between webhook attempts for all three; default each provider's compressed schedule. */
  webhookRetryDelaysMs?: readonly number[];
  /** Credentials accepted besides the defaults (more tenants), per simulator. */
  extraCredentials?: { customers?: string[]; stripe?: string[]; hubspot?: string[] };
}

/** All three simulators over one dataset; if one fails to start, the others are closed again. */
export async function startSimulators(options: StartSimulatorsOptions = {}): Promise<SimulatorSet> {
  const dataset = buildDataset(options.seed ?? 42);
  const credentials: SimulatorCredentials = { ...SIM_CREDENTIALS, ...options.credentials };
  const common = {
    host: options.host ?? '127.0.0.1',
    dataset,
    ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}),
    ...(options.webhookRetryDelaysMs ? { webhookRetryDelaysMs: options.webhookRetryDelaysMs } : {}),
  };
  const started = await Promise.allSettled([
    createCustomersSimulator({
      ...common,
      port: options.ports?.customers ?? 0,
      token: credentials.customersToken,
      webhookSecret: credentials.customersWebhookSecret,
      extraCredentials: options.extraCredentials?.customers ?? [],
    }),
    createStripeSimulator({
      ...common,
      port: options.ports?.stripe ?? 0,
      secretKey: credentials.stripeSecretKey,
      webhookSecret: credentials.stripeWebhookSecret,
      extraCredentials: options.extraCredentials?.stripe ?? [],
    }),
    createHubSpotSimulator({
      ...common,
      token: credentials.hubspotToken,
      port: options.ports?.hubspot ?? 0,
      extraCredentials: options.extraCredentials?.hubspot ?? [],
      ...(options.hubspotAssociationPageSize === undefined ? {} : { associationPageSize: options.hubspotAssociationPageSize }),
    }),
  ]);
  const handles = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const [customers, stripe, hubspot] = handles;
  if (!customers || !stripe || !hubspot || handles.length !== 3) {
    await Promise.allSettled(handles.map((handle) => handle.close()));
    const failure = started.find((result) => result.status === 'rejected');
    throw failure?.status === 'rejected' ? failure.reason : new Error('a simulator failed to start');
  }
  return {
    customers,
    stripe,
    hubspot,
    credentials,
    dataset,
    close: async () => {
      await Promise.all([customers.close(), stripe.close(), hubspot.close()]);
    },
  };
}
