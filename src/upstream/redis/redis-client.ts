import { createClient, createCluster, type RedisClientType, type RedisClusterType } from '@keyv/redis';

/** Where Redis is: one server, or the seed nodes of a Redis Cluster. */
export type RedisTarget = { url: string } | { clusterNodes: readonly string[] };

/**
 * What the gateway sends commands to. Both clients come from the same library (node-redis, as
 * re-exported by @keyv/redis) and answer the commands the gateway uses (EVAL, PUBLISH, GET…); the
 * cluster client routes each by its first key's slot, which is why every script's keys share a
 * hash tag.
 */
export type RedisCommandClient = RedisClientType | RedisClusterType;

/**
 * A client that does not queue while disconnected and reconnects with a short backoff, for one
 * server or for a cluster (where the same socket options apply to every node's connection).
 */
export function createRedisClient(target: RedisTarget, connectTimeoutMs: number): RedisCommandClient {
  const nodeOptions = {
    disableOfflineQueue: true,
    socket: {
      connectTimeout: connectTimeoutMs,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000), // up to 2s
    },
  };
  if ('url' in target) return createClient({ url: target.url, ...nodeOptions }) as RedisClientType;
  return createCluster({
    rootNodes: target.clusterNodes.map((node) => ({ url: `redis://${node}` })),
    defaults: nodeOptions,
  }) as RedisClusterType;
}

/**
 * Whether commands can be sent now. A cluster client has no `isReady`: it is open once it has read
 * the slot map, and a node that is away fails only the commands for its slots.
 */
export function isClientReady(client: RedisCommandClient): boolean {
  return 'isReady' in client ? client.isReady : client.isOpen;
}

/**
 * The events that mean "connected" and "connection lost", which differ between the two clients.
 * A cluster stays open while a node is away and reports it only as `node-error`; its commands
 * then fail at once (no offline queue) with errors that look like answers from an open client. So
 * a node's error counts as losing Redis: every instance falls back to its in-process paths until
 * probes get answers again, rather than asking a shared quota whose slot may be on that node.
 */
export function connectionEvents(client: RedisCommandClient): { up: string; down: readonly string[] } {
  return 'isReady' in client ? { up: 'ready', down: ['end'] } : { up: 'connect', down: ['disconnect', 'node-error'] };
}
