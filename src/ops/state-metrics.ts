import { Counter, Gauge, type Registry } from 'prom-client';
import type { ProviderName } from '../errors.ts';
import type { BreakerState } from '../upstream/resilience/circuit-breaker.ts';
import type { UpstreamGauges } from '../upstream/upstream-client.ts';

/** What a scrape reads from the running gateway, given once it is built (see createMetrics's `watch`). */
export interface MetricSources {
  /** Each tenant's provider clients now, by tenant id. */
  tenants(): Iterable<[string, Record<ProviderName, UpstreamGauges>]>;
  /** The durable event log and the deferred write queue: what they hold, and their dead letters. */
  events: BacklogSource;
  writes: BacklogSource;
  /** Webhook events per provider by what became of them (EventCounters). */
  webhookTotals(): Iterable<{ provider: ProviderName; accepted: number; duplicate: number; rejected: number }>;
}

export interface BacklogSource {
  backlog(): Promise<number>;
  readonly deadLetters: { count(): Promise<number> };
}

const BREAKER_VALUES: Record<BreakerState['kind'], number> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * Series read at scrape time rather than counted as they happen: the state of breakers, quotas and
 * bulkheads, the event and write backlogs, and the webhook receivers' counts, which events/ keeps
 * without knowing of Prometheus. Until `watch` gives the sources (or after a source fails) a
 * series has no value: a scrape never fails because Redis is away, it shows a gap.
 */
export function stateMetrics(registry: Registry): { watch(sources: MetricSources): void } {
  let sources: MetricSources | undefined;
  // Each labelled gauge is rebuilt whole per scrape: a tenant or provider gone is not left behind.
  const perClient = (name: string, help: string, read: (gauges: UpstreamGauges) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['provider', 'tenant'],
      registers: [registry],
      collect() {
        this.reset();
        if (!sources) return;
        for (const [tenant, clients] of sources.tenants()) {
          for (const provider in clients) this.set({ provider, tenant }, read(clients[provider as ProviderName]));
        }
      },
    });
  perClient('tributary_breaker_state', 'Circuit breaker state: 0 closed, 1 half open, 2 open', (gauges) => BREAKER_VALUES[gauges.breaker.kind]);
  perClient('tributary_quota_limit', 'Requests allowed per window (a shared quota\'s, or while Redis is away this instance\'s share)', (gauges) => gauges.quota.limit);
  perClient('tributary_quota_remaining', 'Requests left in the current window, as this instance sees it', (gauges) => gauges.quota.remaining);
  perClient('tributary_quota_reset_seconds', 'Seconds until the oldest counted request leaves the window', (gauges) => gauges.quota.resetInMs / 1000);

  const perProvider = (name: string, help: string, read: (gauges: UpstreamGauges) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['provider'],
      registers: [registry],
      collect() {
        this.reset();
        if (!sources) return;
        // One bulkhead per tenant's client: the provider's figure is their sum.
        const sums = new Map<string, number>();
        for (const [, clients] of sources.tenants()) {
          for (const provider in clients) sums.set(provider, (sums.get(provider) ?? 0) + read(clients[provider as ProviderName]));
        }
        for (const [provider, sum] of sums) this.set({ provider }, sum);
      },
    });
  perProvider('tributary_bulkhead_in_flight', 'Calls to the provider holding a bulkhead slot', (gauges) => gauges.inFlight);
  perProvider('tributary_bulkhead_queued', 'Calls to the provider waiting for a bulkhead slot', (gauges) => gauges.queued);

  const fromStore = (name: string, help: string, read: (sources: MetricSources) => Promise<number>) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        try {
          if (!sources) throw new Error('not watching yet');
          this.set(await read(sources));
        } catch {
          this.remove(); // unknown now (Redis away): no value, and the scrape still succeeds
        }
      },
    });
  fromStore('tributary_events_backlog', 'Events in the durable log not yet handled', (s) => s.events.backlog());
  fromStore('tributary_events_dead_letters', 'Events that ran out of attempts', (s) => s.events.deadLetters.count());
  fromStore('tributary_writes_backlog', 'Deferred writes waiting to be sent', (s) => s.writes.backlog());
  fromStore('tributary_writes_dead_letters', 'Deferred writes that ran out of attempts', (s) => s.writes.deadLetters.count());

  new Counter({
    name: 'tributary_webhooks_received_total',
    help: 'Webhook events by result: accepted (stored), duplicate (stored before), rejected (refused deliveries)',
    labelNames: ['provider', 'result'],
    registers: [registry],
    collect() {
      this.reset();
      if (!sources) return;
      for (const { provider, accepted, duplicate, rejected } of sources.webhookTotals()) {
        this.inc({ provider, result: 'accepted' }, accepted);
        this.inc({ provider, result: 'duplicate' }, duplicate);
        this.inc({ provider, result: 'rejected' }, rejected);
      }
    },
  });

  return {
    watch(given) {
      sources = given;
    },
  };
}
