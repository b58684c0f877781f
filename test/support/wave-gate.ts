import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimulatorSet } from '../../src/simulators/index.ts';
import { startSeededSimulators } from './seeded-simulators.ts';

const WAVE_PATIENCE_MS = 5000; // 5 s: far more than a busy machine needs to send a wave

/** A request the gateway sent upstream: to which simulator, which path, in which wave. */
export interface SentRequest {
  provider: 'customers' | 'stripe' | 'hubspot';
  path: string;
}

/**
 * Splits an operation's upstream calls into waves, without a clock: every simulator holds each
 * request (a latency fault of exactly `holdMs`, waited through this instead of a timer) until the
 * test releases everything held at once. A request the gateway sends after the k-th release
 * could only be sent once something of wave k was answered: it belongs to wave k + 1. What the
 * gateway sent is read on its side (undici's `undici:request:create` channel), in the order it
 * sent it.
 */
export class WaveGate {
  private held: Array<() => void> = [];
  private waiters: Array<() => void> = [];
  private sent: SentRequest[] = [];
  private closed = false;
  private origins = new Map<string, SentRequest['provider']>();

  constructor(readonly holdMs: number) {
    subscribe('undici:request:create', this.onCreate);
  }

  /** The simulators' `sleep`: the fault's latency is held; any other wait is a timer. */
  readonly sleep = async (ms: number): Promise<void> => {
    if (ms !== this.holdMs || this.closed) {
      await sleep(ms);
      return;
    }
    await new Promise<void>((resolve) => {
      this.held.push(resolve);
      for (const wake of this.waiters.splice(0)) wake();
    });
  };

  /** Starts the three simulators over one dataset, every one held by this gate. */
  async startSimulators(): Promise<SimulatorSet> {
    const sims = await startSeededSimulators({
      latencyMs: this.holdMs,
      sleep: { customers: this.sleep, stripe: this.sleep, hubspot: this.sleep },
      beforeClose: () => this.close(),
    });
    for (const sim of [sims.customers, sims.stripe, sims.hubspot]) this.origins.set(new URL(sim.url).origin, sim.name);
    return sims;
  }


  /**
   * Waits until `count` requests are held, then answers them all; returns what the gateway sent
   * since the previous release (this wave), in order.
   */
  async releaseWave(count: number): Promise<SentRequest[]> {
    // Not a timing assertion: a gateway that sends fewer would hold the test until its deadline.
    const givenUp = performance.now() + WAVE_PATIENCE_MS;
    while (this.held.length < count) {
      if (performance.now() > givenUp) throw new Error(`a wave of ${count} requests never came: ${this.held.length} held, sent ${JSON.stringify(this.sent)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, WAVE_PATIENCE_MS).unref();
      });
    }
    const wave = this.sent.splice(0);
    for (const resolve of this.held.splice(0)) resolve();
    return wave;
  }

  /** What was sent since the last release (nothing, once an operation is done). */
  pending(): SentRequest[] {
    return [...this.sent];
  }

  close(): void {
    this.closed = true;
    unsubscribe('undici:request:create', this.onCreate);
    for (const resolve of this.held.splice(0)) resolve();
  }

  // Private:

  private readonly onCreate = (message: unknown) => {
    const { request } = message as { request: { origin: string; path: string } };
    const provider = this.origins.get(request.origin);
    const path = request.path.split('?')[0]!;
    // The test's own calls of the simulators' admin API are not the gateway's.
    if (provider && !path.startsWith('/_sim/')) this.sent.push({ provider, path });
  };
}
