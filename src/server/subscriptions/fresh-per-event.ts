import type { ExecutionArgs, ExecutionResult } from 'graphql';
import type { ResolverContext } from '../../graphql/resolver-context.ts';
import { graphql } from '../../graphql/graphql-runtime.ts';

const { createSourceEventStream, execute } = graphql;

/**
 * graphql-js's `subscribe`, except that each event is executed with a fresh context
 * (`context.live.fresh()`) instead of the subscription's own. With the subscription's context
 * every event after the first would be read through DataLoaders that memoized the first one's
 * objects (a refunded payment would stay captured, nested fields like `Payment.customer`
 * included), and past OPERATION_DEADLINE_MS every read would fail as timed out. The `subscribe`
 * resolvers still run once, with the subscription's context.
 */
export async function subscribeFreshPerEvent(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const live = (args.contextValue as ResolverContext).live;
  if (!live) throw new TypeError('subscribeFreshPerEvent needs a context with `live` (see src/graphql/resolver-context.ts)');
  const events = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in events)) return events;
  const source = events[Symbol.asyncIterator]();
  // By hand, like graphql-js's own mapAsyncIterator: `return()` must reach the source while a
  // `next()` is still waiting for an event, which an async generator would queue behind it.
  const results: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      const event = await source.next();
      if (event.done) return { value: undefined, done: true };
      return { value: await execute({ ...args, rootValue: event.value, contextValue: live.fresh() }), done: false };
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(error: unknown) {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return results;
    },
  };
  return results;
}
