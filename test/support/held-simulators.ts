import { setTimeout as sleep } from 'node:timers/promises';
import {
  SIM_CREDENTIALS,
  buildDataset,
  createCustomersSimulator,
  createHubSpotSimulator,
  createStripeSimulator,
  type SimulatorSet,
} from '../../src/simulators/index.ts';

/**
 * Holds the customer service's answers while a latency fault of exactly `holdMs` is set
 * (`POST /_sim/faults {"latencyMs": holdMs}`): the simulator waits through this instead of a
 * timer, so a test knows the moment a request arrived (the stats count it only once answered)
 * and decides when it may be answered.
 */
export class HeldAnswers {
  private arrivals = 0;
  private waiters: Array<() => void> = [];
  private releases: Array<() => void> = [];
  private released = false;

  constructor(readonly holdMs: number) {}

  /** The simulators' `sleep`: the fault's latency is held; any other wait (webhook retries) is a timer. */
  readonly sleep = async (ms: number): Promise<void> => {
    if (ms !== this.holdMs) {
      await sleep(ms);
      return;
    }
    this.arrivals += 1;
    for (const wake of this.waiters.splice(0)) wake();
    if (this.released) return;
    await new Promise<void>((resolve) => this.releases.push(resolve));
  };

  /** Resolves once `count` requests have arrived and are held. */
  async arrived(count = 1): Promise<void> {
    while (this.arrivals < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Lets every held request (and any later one) be answered. */
  release(): void {
    this.released = true;
    for (const resolve of this.releases.splice(0)) resolve();
  }
}

/** The three simulators over one dataset, as startSimulators starts them, the customer service's latency held by `held`. */
export async function startHeldSimulators(held: HeldAnswers): Promise<SimulatorSet> {
  const dataset = buildDataset(42);
  const credentials = SIM_CREDENTIALS;
  const common = { host: '127.0.0.1', dataset };
  const customers = await createCustomersSimulator({ ...common, token: credentials.customersToken, webhookSecret: credentials.customersWebhookSecret, sleep: held.sleep });
  const stripe = await createStripeSimulator({ ...common, secretKey: credentials.stripeSecretKey, webhookSecret: credentials.stripeWebhookSecret });
  const hubspot = await createHubSpotSimulator({ ...common, token: credentials.hubspotToken });
  return {
    customers,
    stripe,
    hubspot,
    credentials,
    dataset,
    close: async () => {
      held.release();
      await Promise.all([customers.close(), stripe.close(), hubspot.close()]);
    },
  };
}
