import type { FastifyBaseLogger } from 'fastify';
import type { WritesConfig } from '../../config.ts';
import type { Change } from '../../events/change.ts';
import type { EventLog } from '../../events/event-log.ts';
import { createMemoryEventLog } from '../../events/memory-event-log.ts';
import { createRedisEventLog } from '../../events/redis-event-log.ts';
import { WRITES } from '../../providers/registry.ts';
import type { WriteEnv } from '../../providers/write-env.ts';
import type { RedisConnection } from '../../upstream/redis/redis-connection.ts';
import type { IdempotencyStore } from '../../writes/idempotency-store.ts';
import { createMemoryIdempotencyStore } from '../../writes/memory-idempotency-store.ts';
import { createMemoryWriteRecordStore } from '../../writes/memory-write-record-store.ts';
import { createRedisIdempotencyStore } from '../../writes/redis-idempotency-store.ts';
import { createRedisWriteRecordStore } from '../../writes/redis-write-record-store.ts';
import { WriteService } from '../../writes/write-service.ts';
import { createOperationContext } from '../operation-context.ts';
import type { TenantStack } from '../upstream-stack.ts';
import { writeEnvOf } from './write-support.ts';

export interface WritePipeline {
  service: WriteService<WriteEnv>;
  idempotency: IdempotencyStore;
  /** Deferred writes waiting for their provider; its dead letters are writes that ran out of attempts. */
  queue: EventLog;
  close(): Promise<void>;
}

export interface WritePipelineOptions {
  config: WritesConfig;
  /** The events' take-over time: the queue is the same log, on a stream of its own. */
  claimIdleMs: number;
  /** The shared Redis: keys, records and the queue live there, shared by every instance; none: in process. */
  redis: RedisConnection | undefined;
  /** `${cache.keyPrefix}`: keys `<prefix>:idem:v1:…`, `<prefix>:writes:v1:…`, the queue `{<prefix>:writes}:v1:…`. */
  keyPrefix: string;
  tenants: ReadonlyMap<string, TenantStack>;
  deadlineMs: number;
  /** Every instance's caches and subscribers (see event-pipeline.ts `announcer`). */
  announce(keys: readonly string[], changes: readonly Change[]): Promise<void>;
  logger: FastifyBaseLogger;
  now?: () => number;
}

/**
 * Mutations' machinery: the idempotency store the plugin keeps client keys in, the records of
 * queued writes, and the queue with its worker, which sends a queued write again (same upstream
 * key) once its provider answers, on whichever instance takes it.
 */
export function createWritePipeline(options: WritePipelineOptions): WritePipeline {
  const { config, redis, keyPrefix, tenants, logger } = options;
  const clock = options.now ? { now: options.now } : {};
  const servicesOf = (tenantId: string) => {
    const tenant = tenants.get(tenantId);
    // Only configured tenants write; one removed since its write was queued cannot be written for.
    if (!tenant) throw new Error(`no tenant ${tenantId}`);
    return tenant.services;
  };
  let service: WriteService<WriteEnv> | undefined;
  const queueOptions = {
    keyPrefix: `${keyPrefix}:writes`,
    maxAttempts: config.maxAttempts,
    retryBaseMs: config.retryBaseMs,
    retryMaxMs: config.retryMaxMs,
    claimIdleMs: options.claimIdleMs,
    dedupeTtlMs: config.recordTtlMs,
    ...clock,
    onError: (error: unknown, context: string) => logger.warn({ err: error }, `write queue: ${context}`),
    onDeadLetter: (event: Parameters<WriteService<WriteEnv>['deadLettered']>[0], lastError: string) => service!.deadLettered(event, lastError),
  };
  const queue = redis ? createRedisEventLog(redis, queueOptions) : createMemoryEventLog(queueOptions);
  service = new WriteService<WriteEnv>({
    definitions: WRITES,
    records: redis ? createRedisWriteRecordStore(redis, keyPrefix) : createMemoryWriteRecordStore(clock),
    queue,
    recordTtlMs: config.recordTtlMs,
    effects: {
      invalidate: async (tenantId, provider, resource, id) => {
        const cache = servicesOf(tenantId)[provider].cache;
        await cache.invalidate(resource, id);
        return cache.keyOf(resource, id);
      },
      keyOf: (tenantId, provider, resource, id) => servicesOf(tenantId)[provider].cache.keyOf(resource, id),
      announce: options.announce,
    },
    workerEnv: (tenantId, clientId, upstreamKey) => {
      const services = servicesOf(tenantId);
      const context = createOperationContext({ services, principal: { kind: 'system', clientId, tenantId, scopes: new Set() }, deadlineMs: options.deadlineMs });
      return writeEnvOf(context, services, upstreamKey);
    },
    warn: (error, message) => logger.warn({ err: error }, message),
    ...clock,
  });
  queue.start(service.handle);
  return {
    service,
    idempotency: redis ? createRedisIdempotencyStore(redis, keyPrefix) : createMemoryIdempotencyStore(clock),
    queue,
    close: () => queue.close(),
  };
}
