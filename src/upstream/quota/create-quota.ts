import { createHash } from 'node:crypto';
import type { ProviderName } from '../../errors.ts';
import type { RedisConnection } from '../redis/redis-connection.ts';
import { QuotaGuard, type Quota } from './quota-guard.ts';
import { SharedQuota } from './shared-quota.ts';

export interface QuotaOptions {
  provider: ProviderName;
  credential: string;
  limit: number;
  windowMs: number;
  maxWaitMs: number;
  redis: RedisConnection | undefined;
  keyPrefix: string;
  /** Share of the budget this instance spends alone while Redis is away. */
  fallbackShare: number;
}

/** The quota for one provider credential: shared through Redis when there is one, else local. */
export function createQuota(options: QuotaOptions): Quota {
  const { provider, limit, windowMs, maxWaitMs, redis } = options;
  if (!redis) return new QuotaGuard({ provider, limit, windowMs, maxWaitMs });
  const fallback = new QuotaGuard({ provider, limit: Math.max(1, Math.floor(limit * options.fallbackShare)), windowMs, maxWaitMs });
  const tenant = createHash('sha256').update(`tributary-quota:${provider}:${options.credential}`).digest('base64url').slice(0, 16);
  // v2: the waiter queue came in, and the hash tag keeps every key of one quota in one Cluster slot.
  // v3: tickets are fair-queuing tags (see SharedQuota), not arrival numbers.
  // v4: requests in flight are kept apart from the log until answered (a v3 instance would not see them).
  return new SharedQuota({ provider, limit, windowMs, maxWaitMs, redis, key: `${options.keyPrefix}:v4:quota:{${provider}:${tenant}}`, fallback });
}
