import { setTimeout as sleep } from 'node:timers/promises';
import type { Faults, SimStats } from '../src/simulators/index.ts';
import type { SimulatorAddresses } from './simulators-process.ts';

export const PROVIDERS = ['customers', 'stripe', 'hubspot'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** What one provider served between two snapshots. */
export interface ProviderTraffic {
  requests: number;
  /** Response body bytes the provider sent. */
  bytes: number;
  /** 429 answers. */
  rateLimited: number;
  /** Status code → count. */
  byStatus: Record<string, number>;
}

export type Traffic = Record<Provider, ProviderTraffic>;

const ADMIN_TIMEOUT_MS = 5000;

/** The simulators' `/_sim/*` admin API, for all three at once. */
export class SimAdmin {
  constructor(readonly addresses: SimulatorAddresses) {}

  /**
   * Back to the seeded state (stats, limiter windows, data), then the given faults. A POST to
   * `/_sim/faults` replaces every fault, so each provider's entry must say all it wants.
   */
  async resetWith(faults: Record<Provider, Faults>): Promise<void> {
    await Promise.all(PROVIDERS.map((provider) => this.#post(provider, 'reset')));
    await Promise.all(PROVIDERS.map((provider) => this.#post(provider, 'faults', faults[provider])));
  }

  async stats(): Promise<Record<Provider, SimStats>> {
    const all = await Promise.all(
      PROVIDERS.map(async (provider) => {
        const response = await fetch(new URL('/_sim/stats', this.addresses[provider]), { signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS) });
        if (!response.ok) throw new Error(`/_sim/stats on ${provider}: HTTP ${response.status}`);
        return [provider, (await response.json()) as SimStats] as const;
      }),
    );
    return Object.fromEntries(all) as Record<Provider, SimStats>;
  }

  /**
   * Waits until no provider has counted a request for `quietMs` (or `maxMs` passed), and returns
   * the stats then. After a load run stops, the system under test still finishes the operations
   * that were in flight, and their upstream calls belong to the run that sent them.
   */
  async settle(quietMs = 150, maxMs = 5000): Promise<Record<Provider, SimStats>> {
    const deadline = performance.now() + maxMs;
    let last = await this.stats();
    while (performance.now() < deadline) {
      await sleep(quietMs);
      const now = await this.stats();
      if (PROVIDERS.every((p) => now[p].requests === last[p].requests)) return now;
      last = now;
    }
    return last;
  }

  async #post(provider: Provider, path: 'reset' | 'faults', body?: unknown): Promise<void> {
    const response = await fetch(new URL(`/_sim/${path}`, this.addresses[provider]), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? '' : JSON.stringify(body),
      signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`/_sim/${path} on ${provider}: HTTP ${response.status}`);
  }
}

/** What each provider served between `before` and `after`. */
export function trafficBetween(before: Record<Provider, SimStats>, after: Record<Provider, SimStats>): Traffic {
  const one = (p: Provider): ProviderTraffic => {
    const byStatus: Record<string, number> = {};
    for (const [status, count] of Object.entries(after[p].byStatus)) {
      const delta = count - (before[p].byStatus[status] ?? 0);
      if (delta > 0) byStatus[status] = delta;
    }
    return {
      requests: after[p].requests - before[p].requests,
      bytes: after[p].bytesSent - before[p].bytesSent,
      rateLimited: after[p].rateLimited - before[p].rateLimited,
      byStatus,
    };
  };
  return { customers: one('customers'), stripe: one('stripe'), hubspot: one('hubspot') };
}
