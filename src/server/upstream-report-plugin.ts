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
 * provider's circuit breaker (the principal's tenant's) when the answer left.
 */
export function upstreamReportPlugin(breakers: (context: OperationContext) => Record<ProviderName, BreakerState>): ApolloServerPlugin<OperationContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, upstream: upstreamReportJSON(contextValue.report, breakers(contextValue)) };
        },
      };
    },
  };
}
