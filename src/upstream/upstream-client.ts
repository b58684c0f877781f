import type { ProviderName } from '../errors.ts';
import { noTelemetry, type Telemetry } from '../telemetry.ts';
import type { Credential } from './auth/credential.ts';
import { breakerStage } from './pipeline/breaker-stage.ts';
import { bulkheadStage, FairBulkhead, type BulkheadOptions } from './pipeline/bulkhead-stage.ts';
import { credentialStage } from './pipeline/credential-stage.ts';
import { HttpTransport } from './pipeline/http-transport.ts';
import { quotaStage } from './pipeline/quota-stage.ts';
import { retryStage } from './pipeline/retry-stage.ts';
import { compose, type Send, type UpstreamRequest, type UpstreamResponse } from './pipeline/stage.ts';
import type { Quota, QuotaSnapshot } from './quota/quota-guard.ts';
import { pauseFromResponse } from './quota/rate-limit-signals.ts';
import type { BreakerState, CircuitBreaker } from './resilience/circuit-breaker.ts';
import type { RetryPolicy } from './resilience/retry-policy.ts';

export type { UpstreamRequest, UpstreamResponse } from './pipeline/stage.ts';

/** A client's state at one moment, read synchronously (a metrics scrape). */
export interface UpstreamGauges {
  breaker: BreakerState;
  quota: QuotaSnapshot;
  /** The bulkhead's calls holding a slot, and waiting for one. */
  inFlight: number;
  queued: number;
}

export interface UpstreamClientOptions {
  provider: ProviderName;
  /** Origin plus an optional path prefix, e.g. `https://api.stripe.com`. */
  baseUrl: string;
  credential: Credential;
  /** Headers every request carries besides authorization (API version). */
  headers: Record<string, string>;
  quota: Quota;
  retry: RetryPolicy;
  breaker: CircuitBreaker;
  bulkhead: BulkheadOptions;
  /** Cap on each attempt's connect, headers and body timeouts, in milliseconds. */
  attemptTimeoutMs: number;
  /** Longest a call waits for quota before UPSTREAM_RATE_LIMITED. */
  quotaMaxWaitMs: number;
  /** The tenant whose account this client calls with: a label for telemetry, nothing else. */
  tenant?: string;
  telemetry?: Telemetry;
}

/**
 * The one way any provider is called; providers add paths and payload validation on top, and
 * nothing else opens a connection. The order of the stages is the composition below.
 */
export class UpstreamClient {
  readonly provider: ProviderName;
  private readonly transport: HttpTransport;
  private readonly send: Send;
  private readonly bulkhead: FairBulkhead;

  constructor(private readonly options: UpstreamClientOptions) {
    const { provider, quota, tenant = 'default', telemetry = noTelemetry } = options;
    this.provider = provider;
    this.bulkhead = new FairBulkhead(options.bulkhead);
    this.transport = new HttpTransport({
      provider,
      baseUrl: options.baseUrl,
      headers: options.headers,
      connections: options.bulkhead.maxConcurrent,
      attemptTimeoutMs: options.attemptTimeoutMs,
      tenant,
      telemetry,
      onAnswer: (status, headers) => {
        const pauseMs = pauseFromResponse(provider, status, headers);
        if (pauseMs !== undefined && pauseMs > 0) quota.pause(pauseMs);
      },
    });
    this.send = compose(
      [
        // Outermost: each retry goes through everything below again, deadline-bound and budgeted.
        retryStage(options.retry),
        // A refused token is renewed once per token, then the request tried once more.
        credentialStage(options.credential),
        // Back-pressure sits outside the breaker: a full bulkhead says nothing of the provider.
        bulkheadStage(provider, options.bulkhead, () => telemetry.upstreamRefused(provider, tenant, 'bulkhead_full'), this.bulkhead),
        // An open circuit fails at once, before any budget is spent on a call that will not go.
        breakerStage(options.breaker, () => telemetry.upstreamRefused(provider, tenant, 'breaker_open')),
        quotaStage(provider, quota, options.quotaMaxWaitMs, {
          waited: (ms) => telemetry.quotaWaited(provider, tenant, ms),
          refused: (reason) => telemetry.upstreamRefused(provider, tenant, reason),
        }),
      ],
      this.transport.send,
    );
  }

  get breakerState(): BreakerState {
    return this.options.breaker.state;
  }

  gauges(): UpstreamGauges {
    return { breaker: this.options.breaker.state, quota: this.options.quota.snapshot(), inFlight: this.bulkhead.inFlight, queued: this.bulkhead.queued };
  }

  request(req: UpstreamRequest): Promise<UpstreamResponse> {
    return this.send(req);
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
