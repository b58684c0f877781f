import type { ProviderName } from '../errors.ts';

export interface ProviderUsage {
  /** HTTP requests sent to the provider (each retry counts). */
  calls: number;
  /** Calls that ended without a usable answer (error status, timeout, bad body). */
  failures: number;
  /** Response bytes received. */
  bytes: number;
  /** Time spent waiting for the provider's quota, in milliseconds. */
  quotaWaitMs: number;
}

/**
 * What one GraphQL operation cost upstream, per provider. Shown to clients as
 * `extensions.upstream` when enabled; the simulators' `/_sim/stats` must agree with it.
 */
export class UpstreamReport {
  private readonly usage = new Map<ProviderName, ProviderUsage>();

  private of(provider: ProviderName): ProviderUsage {
    let usage = this.usage.get(provider);
    if (!usage) {
      usage = { calls: 0, failures: 0, bytes: 0, quotaWaitMs: 0 };
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
    if (waitedMs > 0) this.of(provider).quotaWaitMs += Math.round(waitedMs);
  }

  /** Every provider appears, with zeros when the operation did not touch it. */
  toJSON(): Record<ProviderName, ProviderUsage> {
    const providers: ProviderName[] = ['customers', 'stripe', 'hubspot'];
    return Object.fromEntries(providers.map((p) => [p, { ...this.of(p) }])) as Record<ProviderName, ProviderUsage>;
  }
}
