import type { ApolloServerPlugin } from '@apollo/server';
import type { ProviderName } from '../errors.ts';
import type { GatewayContext } from '../graphql/context.ts';
import type { BreakerState } from '../upstream/resilience/circuit-breaker.ts';

/**
 * Adds `extensions.upstream`: what the operation cost each provider, and the state of each
 * provider's circuit breaker when the answer left.
 */
export function upstreamReportPlugin(breakers: () => Record<ProviderName, BreakerState>): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const usage = contextValue.report.toJSON();
          const states = breakers();
          const upstream = Object.fromEntries(
            (Object.keys(usage) as ProviderName[]).map((provider) => [provider, { ...usage[provider], breaker: states[provider].kind }]),
          );
          result.extensions = { ...result.extensions, upstream };
        },
      };
    },
  };
}
