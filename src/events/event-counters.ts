import type { ProviderName } from '../errors.ts';
import type { RefusalReason } from './event.ts';
import type { DispatchCounters } from './dispatcher.ts';

type Counts = Record<string, number>;

/**
 * What the webhook receivers and the dispatcher count, per provider: deliveries and events
 * received, refusals by reason, duplicates, deliveries the log could not store, and effects by
 * outcome. Plain counters behind a small interface, so the operations work (Prometheus) can read
 * them without events/ knowing about it; /readyz shows them to `ops:read` meanwhile.
 */
export class EventCounters implements DispatchCounters {
  private readonly counts = new Map<ProviderName, { received: number; stored: number; duplicates: number; unavailable: number; refused: Counts; effects: Counts }>();

  private of(provider: ProviderName) {
    let counts = this.counts.get(provider);
    if (!counts) this.counts.set(provider, (counts = { received: 0, stored: 0, duplicates: 0, unavailable: 0, refused: {}, effects: {} }));
    return counts;
  }

  received(provider: ProviderName, events: number): void {
    this.of(provider).received += events;
  }

  stored(provider: ProviderName, events: number, duplicates: number): void {
    const counts = this.of(provider);
    counts.stored += events;
    counts.duplicates += duplicates;
  }

  refused(provider: ProviderName, reason: RefusalReason | 'unknown-tenant'): void {
    const { refused } = this.of(provider);
    refused[reason] = (refused[reason] ?? 0) + 1;
  }

  unavailable(provider: ProviderName): void {
    this.of(provider).unavailable += 1;
  }

  effect(provider: ProviderName, outcome: string): void {
    const { effects } = this.of(provider);
    effects[outcome] = (effects[outcome] ?? 0) + 1;
  }

  /** Webhook events per provider, by what became of them: stored, duplicates, and refused deliveries. */
  webhookTotals(): Array<{ provider: ProviderName; accepted: number; duplicate: number; rejected: number }> {
    const totals = [];
    for (const [provider, counts] of this.counts) {
      let rejected = 0;
      for (const reason in counts.refused) rejected += counts.refused[reason]!;
      totals.push({ provider, accepted: counts.stored, duplicate: counts.duplicates, rejected });
    }
    return totals;
  }

  snapshot(): Record<string, unknown> {
    return Object.fromEntries([...this.counts].map(([provider, counts]) => [provider, structuredClone(counts)]));
  }
}
