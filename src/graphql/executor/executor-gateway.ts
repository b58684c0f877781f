import type { GatewayInterface } from '@apollo/server-gateway-interface';
import type { GraphQLSchema } from 'graphql';
import type { OperationExecutor } from './operation-executor.ts';

/**
 * Apollo Server takes no executor of its own, only a gateway's: this one serves a fixed schema
 * and hands each operation to `executor`. Apollo still parses, validates (with our rules), runs
 * every plugin and formats errors; only the execution step is ours.
 */
export function executorGateway(schema: GraphQLSchema, executor: OperationExecutor): GatewayInterface {
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => undefined;
    },
    load: async () => ({
      executor: (context) =>
        executor({
          document: context.document,
          operation: context.operation,
          // The name the client asked for: Apollo's `operationName` is that of the operation it
          // resolved, null when none matched, and graphql-js would then run a lone operation anyway.
          operationName: context.request.operationName ?? null,
          variables: context.request.variables,
          contextValue: context.context,
        }),
    }),
    stop: async () => undefined,
  };
}
