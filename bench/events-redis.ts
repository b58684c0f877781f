import { createClient } from '@keyv/redis';

/**
 * Deletes every key whose name holds `prefix` (the gateway's CACHE_KEY_PREFIX): entries, quota
 * windows, the event stream (`{<prefix>:events}:…`), event ids kept for four days, the tag
 * registry. Returns how many went. The prefix is the run's own, so nothing else matches it.
 */
export async function dropKeysWithPrefix(url: string, prefix: string): Promise<number> {
  if (!/^[A-Za-z0-9-]{8,}$/.test(prefix)) throw new TypeError(`refusing to drop keys for a short or odd prefix: ${JSON.stringify(prefix)}`);
  const client = createClient({ url });
  await client.connect();
  let dropped = 0;
  try {
    for await (const found of client.scanIterator({ MATCH: `*${prefix}*`, COUNT: 1000 })) {
      // redis 5 yields a page of keys at a time.
      const keys: string[] = Array.isArray(found) ? found : [found];
      if (keys.length > 0) dropped += await client.unlink(keys);
    }
  } finally {
    await client.close();
  }
  return dropped;
}
