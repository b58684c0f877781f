import type { FastifyBaseLogger } from 'fastify';
import type { EventsConfig } from '../../config.ts';
import type { Change, ChangeHub } from '../../events/change.ts';
import { createEventHandler } from '../../events/dispatcher.ts';
import { EventCounters } from '../../events/event-counters.ts';
import type { EventLog } from '../../events/event-log.ts';
import { createMemoryEventLog } from '../../events/memory-event-log.ts';
import { createRedisEventLog } from '../../events/redis-event-log.ts';
import { WEBHOOK_PROVIDERS } from '../../providers/registry.ts';
import type { RedisConnection } from '../../upstream/redis/redis-connection.ts';
import type { TenantStack } from '../upstream-stack.ts';
import { createEffectTarget } from './effect-target.ts';

export interface EventPipeline {
  log: EventLog;
  counters: EventCounters;
  close(): Promise<void>;
}

export interface EventPipelineOptions {
  config: EventsConfig;
  /** The shared Redis: the log is a stream there, one consumer per instance; none: in process. */
  redis: RedisConnection | undefined;
  /** `${cache.keyPrefix}:events`, which `npm run events` derives the same way. */
  keyPrefix: string;
  tenants: ReadonlyMap<string, TenantStack>;
  deadlineMs: number;
  hub: ChangeHub;
  /** Empties this instance's result cache. */
  clearResults(): void;
  /** Tells the other instances (see invalidation-bus.ts). */
  broadcast(keys: readonly string[], changes: readonly Change[]): Promise<void>;
  logger: FastifyBaseLogger;
  now?: () => number;
}

/**
 * Webhook receiver → durable log → handler → effects: the handler applies each event to this
 * instance's caches (the shared store included), then this instance's answers and subscribers,
 * then every other instance, by one message each.
 */
export function createEventPipeline(options: EventPipelineOptions): EventPipeline {
  const counters = new EventCounters();
  const { config } = options;
  const logOptions = {
    keyPrefix: options.keyPrefix,
    maxAttempts: config.maxAttempts,
    retryBaseMs: config.retryBaseMs,
    retryMaxMs: config.retryMaxMs,
    claimIdleMs: config.claimIdleMs,
    dedupeTtlMs: config.dedupeTtlMs,
    ...(options.now ? { now: options.now } : {}),
    onError: (error: unknown, context: string) => options.logger.warn({ err: error }, `event log: ${context}`),
  };
  const log = options.redis ? createRedisEventLog(options.redis, logOptions) : createMemoryEventLog(logOptions);
  const target = createEffectTarget({
    tenants: options.tenants,
    deadlineMs: options.deadlineMs,
    announce: announcer(options),
  });
  const handle = createEventHandler(
    WEBHOOK_PROVIDERS.map((provider) => provider.mapping),
    target,
    counters,
  );
  // Failures are logged once, by the log (onError above), which knows whether it will retry.
  log.start(handle);
  return { log, counters, close: () => log.close() };
}

/**
 * Tells every instance what changed. Other instances first: if Redis cannot take the message the
 * caller fails (an event handler is retried) before this instance's subscribers have heard of
 * it, so they do not hear it twice.
 */
export function announcer(options: Pick<EventPipelineOptions, 'clearResults' | 'broadcast' | 'hub'>): (keys: readonly string[], changes: readonly Change[]) => Promise<void> {
  return async (keys, changes) => {
    options.clearResults();
    await options.broadcast(keys, changes);
    for (const change of changes) options.hub.publish(change);
  };
}
