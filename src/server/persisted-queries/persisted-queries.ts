import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener, PersistedQueryOptions } from '@apollo/server';
import type { FastifyBaseLogger } from 'fastify';
import type { GatewayConfig } from '../../config.ts';
import { countTokens } from '../../graphql/limits/request-checks.ts';
import type { RedisConnection } from '../../upstream/redis/redis-connection.ts';
import { PersistedQueryCache } from './persisted-query-cache.ts';

export interface PersistedQueries {
  /** Apollo's `persistedQueries` option. */
  option: PersistedQueryOptions | false;
  /** Absent when APQ is off. */
  cache?: PersistedQueryCache;
  /** The text of a hash this process holds, without waiting (the result cache's lookup); absent when APQ is off. */
  heldDocumentOf?: (hash: string) => string | undefined;
  plugins: ApolloServerPlugin<BaseContext>[];
}

/**
 * Automatic persisted queries as configured: off with APQ=off, and off under
 * TRUSTED_DOCUMENTS=enforce, where registering a hash with its text would let a client add its own
 * operation to the manifest (the manifest is a file every instance reads at start: there is no
 * per-instance store of trusted documents to share). Otherwise documents are kept in a
 * PersistedQueryCache, on the entity cache's Redis when there is one.
 */
export function createPersistedQueries(config: GatewayConfig, redis: RedisConnection | undefined, log: FastifyBaseLogger): PersistedQueries {
  if (!config.apq.enabled || config.trustedDocuments.mode === 'enforce') return { option: false, plugins: [] };
  const { maxTokens } = config.limits;
  const cache = new PersistedQueryCache({
    maxTtlSeconds: config.apq.ttlSeconds,
    maxDocumentBytes: config.limits.maxQueryBytes,
    // Every token takes a character at least: most documents need no count (as in request-limits.ts).
    admitsShared: (document) => document.length <= maxTokens || (countTokens(document, maxTokens) ?? 0) <= maxTokens,
    ...(redis ? { shared: { redis, keyPrefix: config.cache.keyPrefix, maxEntries: config.apq.maxEntries } } : {}),
    onWriteError: (error) => log.warn({ err: error }, 'persisted queries could not be shared through Redis; they are kept in this process until it is back'),
  });
  return { option: { cache, ttl: config.apq.ttlSeconds }, cache, heldDocumentOf: (hash) => cache.peek(hash), plugins: [sharedRegistrationPlugin(cache)] };
}

/**
 * Holds a registering answer until its document is in the shared store (or the write failed, by
 * REDIS_TIMEOUT_MS at the latest). Apollo starts the write before execution and never awaits it,
 * so without this a client that registered on one instance could send the hash alone to another
 * before the write landed, and be told PERSISTED_QUERY_NOT_FOUND. The write is nearly always done
 * by the end of execution; only registrations (once per document per client) wait at all.
 */
function sharedRegistrationPlugin(cache: PersistedQueryCache): ApolloServerPlugin<BaseContext> {
  const listener: GraphQLRequestListener<BaseContext> = {
    willSendResponse: ({ metrics, queryHash }) => (metrics.persistedQueryRegister && queryHash !== undefined ? cache.written(queryHash) : DONE),
  };
  const started = Promise.resolve(listener);
  return { requestDidStart: () => started };
}

const DONE: Promise<void> = Promise.resolve();
