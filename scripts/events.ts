import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type GatewayConfig } from '../src/config.ts';
import type { DeadLetter, EventLog } from '../src/events/event-log.ts';
import { createRedisEventLog } from '../src/events/redis-event-log.ts';
import { RedisConnection } from '../src/upstream/redis/redis-connection.ts';

/**
 * The dead letters of the gateway's event log, for operators. Reads the gateway's own
 * configuration (REDIS_URL or REDIS_CLUSTER_NODES, CACHE_KEY_PREFIX) and so reaches the same
 * keys, `{<CACHE_KEY_PREFIX>:events}:v1:…`. Output: one JSON object per line; payloads are
 * shown as the provider sent them (webhook payloads hold no credentials).
 *   npm run events -- list [--limit N] | show <entryId> | replay <entryId>|--all | drop <entryId> | count
 * With `--writes`, the same for the deferred-write queue (`{<CACHE_KEY_PREFIX>:writes}:v1:…`):
 * writes that ran out of attempts; a replay sends the write again (with its idempotency key).
 */
const USAGE = 'usage: npm run events -- [--writes] list [--limit N] | show <entryId> | replay <entryId>|--all | drop <entryId> | count\n';
/** An operator's command, not the request path: a slow Redis gets seconds, not the gateway's 100 ms. */
const COMMAND_TIMEOUT_MS = 5000;

const { values, positionals } = parseArgs({ allowPositionals: true, options: { limit: { type: 'string', default: '20' }, all: { type: 'boolean', default: false }, writes: { type: 'boolean', default: false } } });
const [command, entryId] = positionals;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function show(letter: DeadLetter): void {
  print({ ...letter, failedAt: new Date(letter.failedAt).toISOString() });
}

let config: GatewayConfig;
try {
  config = loadConfig(process.env);
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
}
const { redisUrl, redisClusterNodes, keyPrefix } = config.cache;
if (!redisUrl && !redisClusterNodes) {
  fail('REDIS_URL (or REDIS_CLUSTER_NODES) is not set. Without Redis the gateway keeps its event log in process: its dead letters cannot be reached from outside (they are lost when it stops).');
}
const limit = Number(values.limit);
if (!Number.isInteger(limit) || limit < 1) fail(`--limit must be a positive integer, got ${JSON.stringify(values.limit)}`);

const redis = new RedisConnection({
  ...(redisUrl ? { url: redisUrl } : { clusterNodes: redisClusterNodes ?? [] }),
  commandTimeoutMs: COMMAND_TIMEOUT_MS,
  logger: { warn: (message) => process.stderr.write(`${message}\n`), info: () => undefined },
});
await redis.connect();
// Never started: this process only reads and moves dead letters, it handles no events.
const log: EventLog = createRedisEventLog(redis, { keyPrefix: `${keyPrefix}:${values.writes ? 'writes' : 'events'}` });
const dead = log.deadLetters;

try {
  switch (command) {
    case 'list':
      for (const letter of await dead.list(limit)) show(letter);
      break;
    case 'show': {
      if (!entryId) fail(USAGE);
      const letter = await dead.get(entryId);
      if (!letter) fail(`no dead letter ${entryId}`);
      show(letter);
      break;
    }
    case 'replay': {
      // With --all, the letters there now: one that fails again comes back under a new id and is not replayed twice.
      const ids = values.all ? (await dead.list(await dead.count())).map((letter) => letter.entryId) : entryId ? [entryId] : fail(USAGE);
      for (const id of ids) print({ entryId: id, replayed: await dead.replay(id) });
      break;
    }
    case 'drop':
      if (!entryId) fail(USAGE);
      print({ entryId, dropped: await dead.drop(entryId) });
      break;
    case 'count':
      print({ deadLetters: await dead.count(), backlog: await log.backlog() });
      break;
    default:
      fail(USAGE);
  }
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await log.close();
  await redis.close();
}
