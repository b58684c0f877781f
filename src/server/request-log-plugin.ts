import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { originalOf, type ResolverErrorLog } from './format-error.ts';
import type { OperationContext } from './operation-context.ts';

/**
 * Logs an operation's errors with its request's own logger, so that each line carries the request
 * id (formatError, which Apollo calls without the context, cannot), and gives the access line the
 * operation's name. One listener for every request: it keeps no per-request state.
 */
export function requestLogPlugin(errors: ResolverErrorLog): ApolloServerPlugin<OperationContext> {
  const listener: GraphQLRequestListener<OperationContext> = {
    didEncounterErrors({ errors: encountered, contextValue }) {
      const log = contextValue.request?.log;
      for (const error of encountered) errors.record(originalOf(error), error.extensions['code'], error.path, log);
      return DONE;
    },
    willSendResponse({ operationName, contextValue }) {
      if (contextValue.request) contextValue.request.operationName = operationName ?? undefined;
      return DONE;
    },
  };
  const started = Promise.resolve(listener);
  return { requestDidStart: () => started };
}

const DONE: Promise<void> = Promise.resolve();
