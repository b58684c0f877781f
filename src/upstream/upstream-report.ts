import type { ProviderName } from '../errors.ts';

export interface ProviderUsage {
  /** HTTP requests sent to the provider (each retry counts). */
  calls: number;
  /** Calls that ended without a usable answer (error status, timeout, bad body). */
  failures: number;
  /** Response bytes received. */
  bytes: number;
  /** Entities answered from the cache while fresh. */
  cacheHits: number;
  /** Entities not in the cache (or past their maximum staleness). */
  cacheMisses: number;
  /** Entities the provider confirmed unchanged (304, or a batch's notModified). */
  revalidated: number;
  /** Response bytes a 200 would have carried for those, not transferred thanks to revalidation. */
  bytesSaved: number;
  /** Entities answered stale (stale-while-revalidate or stale-if-error). */
  stale: number;
  /** Age of the oldest stale entity answered, in milliseconds. */
  maxStaleAgeMs: number;
  /** Calls that had to wait for the provider's quota, and how long they waited in all. */
  quotaWaits: number;
  quotaWaitMs: number;
}

const PROVIDERS: readonly ProviderName[] = ['customers', 'stripe', 'hubspot'];

/**
 * What one GraphQL operation cost upstream, per provider. Shown to clients as
 * `extensions.upstream` when enabled; the simulators' `/_sim/stats` agree with its call counts.
 */
export class UpstreamReport {
  private readonly usage = new Map<ProviderName, ProviderUsage>();

  private of(provider: ProviderName): ProviderUsage {
    let usage = this.usage.get(provider);
    if (!usage) {
      usage = { calls: 0, failures: 0, bytes: 0, cacheHits: 0, cacheMisses: 0, revalidated: 0, bytesSaved: 0, stale: 0, maxStaleAgeMs: 0, quotaWaits: 0, quotaWaitMs: 0 };
      this.usage.set(provider, usage);
    }
    return usage;
  }

  recordCall(provider: ProviderName, outcome: { ok: boolean; bytes: number }): void {
    const usage = this.of(provider);
    usage.calls += 1;
    usage.bytes += outcome.bytes;
    if (!outcome.ok) usage.failures += 1;
  }

  recordQuotaWait(provider: ProviderName, waitedMs: number): void {
    if (waitedMs <= 0) return;
    const usage = this.of(provider);
    usage.quotaWaits += 1;
    usage.quotaWaitMs += Math.round(waitedMs);
  }

  recordCache(provider: ProviderName, outcome: 'hit' | 'miss'): void {
    const usage = this.of(provider);
    if (outcome === 'hit') usage.cacheHits += 1;
    else usage.cacheMisses += 1;
  }

  recordRevalidated(provider: ProviderName, bytesSaved: number): void {
    const usage = this.of(provider);
    usage.revalidated += 1;
    usage.bytesSaved += bytesSaved;
  }

  recordStale(provider: ProviderName, ageMs: number): void {
    const usage = this.of(provider);
    usage.stale += 1;
    usage.maxStaleAgeMs = Math.max(usage.maxStaleAgeMs, Math.round(ageMs));
  }

  /** Nothing recorded: every figure is zero (each record counts at least one thing). */
  get isEmpty(): boolean {
    return this.usage.size === 0;
  }

  /** Some entity was answered stale (stale-while-revalidate or stale-if-error). */
  get anyStale(): boolean {
    for (const usage of this.usage.values()) if (usage.stale > 0) return true;
    return false;
  }

  /** Each provider the operation called, with its calls and failures (the access log's summary). */
  callsByProvider(): Partial<Record<ProviderName, { calls: number; failures: number }>> {
    const calls: Partial<Record<ProviderName, { calls: number; failures: number }>> = {};
    for (const [provider, usage] of this.usage) if (usage.calls > 0) calls[provider] = { calls: usage.calls, failures: usage.failures };
    return calls;
  }

  /** Calls to every provider together. */
  get calls(): number {
    let calls = 0;
    for (const usage of this.usage.values()) calls += usage.calls;
    return calls;
  }

  /** Every provider appears, with zeros when the operation did not touch it. */
  toJSON(): Record<ProviderName, ProviderUsage> {
    return Object.fromEntries(PROVIDERS.map((p) => [p, { ...this.of(p) }])) as Record<ProviderName, ProviderUsage>;
  }
}
