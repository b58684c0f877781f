import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { FastifyReply } from 'fastify';
import { operationLabel } from '../ops/operation-label.ts';
import type { OperationMetrics } from '../ops/metrics.ts';
import type { OperationContext } from './operation-context.ts';
import type { KeptAnswer } from './result-cache.ts';

/**
 * Records each operation Apollo answers: by name and type, its errors by `extensions.code`, its
 * duration, estimated cost and upstream calls. Answers the result cache replays never reach Apollo;
 * an answer it will keep carries its operation's series along (`keep.operation`), so its replays
 * count too (create-gateway.ts). Listed after the result cache's plugin, whose `keep` it extends.
 */
export function operationMetricsPlugin(operations: OperationMetrics): ApolloServerPlugin<OperationContext> {
  // One listener for every request, and no promise of its own: it keeps no per-request state.
  const listener: GraphQLRequestListener<OperationContext> = {
    willSendResponse({ response, contextValue, operation, operationName }) {
      // `operation` is set once the document parsed, validated and held the operation asked for.
      const series = operations.seriesOf(operationLabel(operation !== undefined, operationName), operation?.operation);
      const cost = contextValue.estimate?.cost;
      series.ran((performance.now() - contextValue.startedAt) / 1000, cost, contextValue.report.calls);
      if (response.body.kind === 'single') {
        const errors = response.body.singleResult.errors;
        if (errors !== undefined) for (const error of errors) series.failed(typeof error.extensions?.['code'] === 'string' ? error.extensions['code'] : 'none');
      }
      const keep = contextValue.resultTicket?.keep;
      if (keep !== undefined) keep.operation = { replayed: (seconds) => series.replayed(seconds, cost) };
      return DONE;
    },
  };
  const started = Promise.resolve(listener);
  return { requestDidStart: () => started };
}

const DONE: Promise<void> = Promise.resolve();

/** For registerResultCache: whole-answer cache lookups, and each replay as a request of the operation that made the answer. */
export function resultLookupRecorder(operations: OperationMetrics): (hit: KeptAnswer | undefined, reply: FastifyReply) => void {
  return (hit, reply) => {
    operations.resultCacheLookup(hit === undefined ? 'miss' : 'hit');
    hit?.operation?.replayed(reply.elapsedTime / 1000);
  };
}
