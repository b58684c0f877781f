import type { ApolloServerPlugin } from '@apollo/server';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OperationContext } from './operation-context.ts';
import type { ResultCache } from './result-cache.ts';

/**
 * Wires the result cache around Apollo: a Fastify hook answers a replayable request before any
 * GraphQL work, and an Apollo plugin keeps a fresh, error-free answer for as long as its data
 * stays fresh. `extensions` (the upstream report) are not replayed: `renderHit` adds the current
 * ones, since a replay costs no upstream call.
 */
export function registerResultCache(
  fastify: FastifyInstance,
  cache: ResultCache,
  /** What besides the request decides its answer (the tenant, the scopes): part of the key. */
  partitionOf: (request: FastifyRequest) => string,
  renderHit: (payload: string, request: FastifyRequest) => string,
): (request: FastifyRequest) => string | undefined {
  const keys = new WeakMap<FastifyRequest, string>();
  fastify.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || request.routeOptions.url !== '/graphql') return;
    const key = cache.keyOf(request.body, partitionOf(request));
    if (key === undefined) return;
    const hit = cache.get(key);
    if (hit === undefined) {
      keys.set(request, cache.ticket(key));
      return;
    }
    return reply.type('application/json; charset=utf-8').send(renderHit(hit, request));
  });
  return (request) => keys.get(request);
}

export function resultCachePlugin(cache: ResultCache): ApolloServerPlugin<OperationContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue, operation }) {
          const key = contextValue.resultKey;
          if (key === undefined || response.body.kind !== 'single' || operation?.operation !== 'query') return;
          const { data, errors } = response.body.singleResult;
          if (errors?.length || data === undefined || data === null) return;
          cache.set(key, JSON.stringify({ data }), contextValue.call.freshness.reusableForMs(cache.now()));
        },
      };
    },
  };
}
