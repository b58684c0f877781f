import type { ProviderName } from './errors.ts';

/**
 * What the layers below the server tell the people who run the gateway. The upstream pipeline,
 * the entity cache, events and writes emit here and know nothing of Prometheus, OpenTelemetry or
 * the log format: src/ops/ implements this interface, src/server/ composes the implementations
 * (metrics, logs, traces) and injects them; tests inject a recorder or `noTelemetry`.
 *
 * Every method is called on hot paths (a warm page makes hundreds of cache lookups): sinks count
 * and return, and never throw. Labels here are bounded by construction (provider, resource,
 * outcome names); ids and paths appear only in fields meant for logs and spans.
 */
export interface Telemetry {
  /** One HTTP attempt to a provider ended: answered (any status) or failed without an answer. */
  upstreamAttempt(attempt: UpstreamAttempt): void;
  /** A call was refused before any attempt went out (open circuit, full bulkhead, spent quota). */
  upstreamRefused(provider: ProviderName, tenant: string, reason: RefusalReason): void;
  /** A call waited for its provider's quota before its attempt went out. */
  quotaWaited(provider: ProviderName, tenant: string, waitedMs: number): void;
  /** A circuit changed state; called once per change. */
  breakerChanged(provider: ProviderName, tenant: string, from: BreakerStateName, to: BreakerStateName): void;
  /** Entity cache outcomes, one call per entity looked up (`count` for a batch with one outcome). */
  cacheLookup(provider: ProviderName, resource: string, outcome: CacheOutcome, count: number): void;
}

export interface UpstreamAttempt {
  readonly provider: ProviderName;
  /** The tenant whose account the call used (a configured id, bounded). */
  readonly tenant: string;
  /** The cache resource the call reads (e.g. `stripe.charges`), or `write` / `other`: bounded. */
  readonly resource: string;
  readonly method: string;
  /** The path without its query string (ids in it: for logs and spans, never a metric label). */
  readonly path: string;
  /** 1 for the first attempt of a call, 2 for its first retry, and so on. */
  readonly attempt: number;
  /** The provider's status, or undefined when no answer came (timeout, connection failure). */
  readonly status: number | undefined;
  /** The public error code when the attempt failed (a 404 the caller expects is not a failure). */
  readonly errorCode: string | undefined;
  readonly durationMs: number;
  /** Response bytes received. */
  readonly bytes: number;
  /** The provider's own id for the request (Stripe `request-id`, HubSpot `correlationId`/`x-hubspot-correlation-id`). */
  readonly providerRequestId: string | undefined;
  /** The id of the gateway request the call serves (CallContext.requestId), for logs only. */
  readonly requestId?: string | undefined;
  /**
   * The start of a failed answer's body (bounded, more than a log line keeps), for logs only: it
   * may hold personal data, which the log sink masks before it cuts and writes it.
   */
  readonly errorBody?: string | undefined;
}

/** A span's attributes; undefined ones are left out. */
export type SpanAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * One span of a trace, opaque to the layers below the server, which open children of it, add
 * attributes, and end what they opened; src/ops/tracing.ts makes them with OpenTelemetry. The
 * chain is explicit (the operation's span rides on its CallContext, a batch's on a view of it),
 * not OpenTelemetry's async context: a DataLoader batch runs in the tick after its first load,
 * and a single-flight fetch serves operations other than the one that started it, so an
 * ambient "current span" would name the wrong parent. Made only while tracing is on: an untraced
 * operation carries none, and one `undefined` check is all tracing costs it.
 */
export interface TraceSpan {
  child(name: string, attributes: SpanAttributes, kind?: 'internal' | 'client'): TraceSpan;
  setAttributes(attributes: SpanAttributes): void;
  /** The W3C `traceparent` naming this span, for the request it stands for; never the caller's `tracestate` (see src/ops/tracing.ts). */
  traceHeaders(): Record<string, string>;
  /** Ends the span; `errorCode` (a public error code) marks it failed. */
  end(attributes?: SpanAttributes, errorCode?: string): void;
}

export type RefusalReason = 'breaker_open' | 'bulkhead_full' | 'quota_spent' | 'deadline';
export type BreakerStateName = 'closed' | 'open' | 'half_open';
/**
 * Each id a load looks up has exactly one: `hit`: fresh; `stale`: answered stale (while
 * revalidating, or after its fetch failed); `joined`: waited for a fetch another load started
 * (single flight); `revalidated`: its own fetch, the provider said unchanged; `miss`: its own
 * fetch, new data or a failure. A background refresh is not a lookup and is not counted.
 */
export type CacheOutcome = 'hit' | 'miss' | 'stale' | 'revalidated' | 'joined';

/** Nothing is observed: the default wherever no sink is injected. */
export const noTelemetry: Telemetry = {
  upstreamAttempt() {},
  upstreamRefused() {},
  quotaWaited() {},
  breakerChanged() {},
  cacheLookup() {},
};

/**
 * Every sink sees every event, in order; none is skipped when another throws. Written out per
 * method with its own arity: a generic `(...args) => sink[method](...args)` made a rest array
 * per event, and with the log and metrics sinks there are always two (hundreds per warm page).
 */
export function fanOut(sinks: readonly Telemetry[]): Telemetry {
  const live = sinks.filter((sink) => sink !== noTelemetry);
  if (live.length === 0) return noTelemetry;
  if (live.length === 1) return live[0]!;
  const n = live.length;
  // Each catch is the fence: sinks are written not to throw, and one that does must not break a
  // request nor keep the sinks after it from seeing the event.
  return {
    upstreamAttempt(attempt) {
      for (let i = 0; i < n; i += 1) {
        try {
          live[i]!.upstreamAttempt(attempt);
        } catch {}
      }
    },
    upstreamRefused(provider, tenant, reason) {
      for (let i = 0; i < n; i += 1) {
        try {
          live[i]!.upstreamRefused(provider, tenant, reason);
        } catch {}
      }
    },
    quotaWaited(provider, tenant, waitedMs) {
      for (let i = 0; i < n; i += 1) {
        try {
          live[i]!.quotaWaited(provider, tenant, waitedMs);
        } catch {}
      }
    },
    breakerChanged(provider, tenant, from, to) {
      for (let i = 0; i < n; i += 1) {
        try {
          live[i]!.breakerChanged(provider, tenant, from, to);
        } catch {}
      }
    },
    cacheLookup(provider, resource, outcome, count) {
      for (let i = 0; i < n; i += 1) {
        try {
          live[i]!.cacheLookup(provider, resource, outcome, count);
        } catch {}
      }
    },
  };
}
