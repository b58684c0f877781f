import type { ApolloServerPlugin } from '@apollo/server';
import type { ProviderName } from '../errors.ts';
import type { OperationContext } from './operation-context.ts';
import type { BreakerState } from '../upstream/resilience/circuit-breaker.ts';
import type { ProviderUsage, UpstreamReport } from '../upstream/upstream-report.ts';

/** The report as clients see it: usage per provider, with its breaker's state. */
export function upstreamReportJSON(report: UpstreamReport, breakers: Record<ProviderName, BreakerState>): Record<ProviderName, ProviderUsage & { breaker: BreakerState['kind'] }> {
  const usage = report.toJSON();
  return {
    customers: { ...usage.customers, breaker: breakers.customers.kind },
    stripe: { ...usage.stripe, breaker: breakers.stripe.kind },
    hubspot: { ...usage.hubspot, breaker: breakers.hubspot.kind },
  };
}

/**
 * Adds `extensions.upstream`: what the operation cost each provider, and the state of each
 * provider's circuit breaker (the principal's tenant's) when the answer left; and `estimate`, what
 * the limits plugin expected before execution (its `calls` an upper bound with nothing cached,
 * next to each provider's actual `calls`). Sum `calls` over the three providers by name, not over
 * every key.
 */
export function upstreamReportPlugin(breakers: (context: OperationContext) => Record<ProviderName, BreakerState>): ApolloServerPlugin<OperationContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const estimate = contextValue.estimate;
          result.extensions = { ...result.extensions, upstream: { ...upstreamReportJSON(contextValue.report, breakers(contextValue)), ...(estimate ? { estimate } : {}) } };
        },
      };
    },
  };
}
