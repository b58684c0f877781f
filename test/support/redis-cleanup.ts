import { createClient } from '@keyv/redis';
import { REDIS_URL } from './redis.ts';

/** Removes every key of the shared test Redis that holds `prefix` (a test's CACHE_KEY_PREFIX): cache, quotas, the event log. */
export async function dropKeysWith(prefix: string, url = REDIS_URL): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `*${prefix}*`, COUNT: 500 })) keys.push(...batch);
    if (keys.length > 0) await client.unlink(keys);
  } finally {
    await client.close();
  }
}
