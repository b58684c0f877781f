/**
 * How long Redis may stay silent on a write store's command (up to a second more while it answers
 * others or the event loop is busy: RedisConnection.withTimeout): the event log's patience
 * (EVENT_LOG_COMMAND_TIMEOUT_MS), not REDIS_TIMEOUT_MS (100 ms), which suits a cache read that can
 * fall back. A write store has no fallback, and a command that times out may still run in Redis:
 * a claim whose answer is lost holds the key for a token nobody knows until its lease lapses, so
 * the client's retries are refused as in progress; a record whose put is lost is reported
 * unknown. Waiting for a slow answer costs one request some latency; giving up costs more.
 */
export const WRITE_STORE_COMMAND_TIMEOUT_MS = 2000; // 2 s
