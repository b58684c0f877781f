import { setTimeout as sleep } from 'node:timers/promises';
import type { SimulatorSet } from '../../src/simulators/index.ts';
import { startSeededSimulators } from './seeded-simulators.ts';

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
export function startHeldSimulators(held: HeldAnswers): Promise<SimulatorSet> {
  return startSeededSimulators({ sleep: { customers: held.sleep }, beforeClose: () => held.release() });
}
