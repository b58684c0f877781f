import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../graphql/context.ts';

/** Adds `extensions.upstream`: what the operation cost each provider. */
export function upstreamReportPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, upstream: contextValue.report.toJSON() };
        },
      };
    },
  };
}
