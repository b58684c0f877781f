import type { StoredEvent } from './event.ts';

/** The consumer group every gateway instance reads the stream in. */
export const CONSUMER_GROUP = 'handlers';

/** Redis stream ids as XADD makes them; anything else is refused before it reaches Redis. */
export const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/**
 * Every key of one log. `{<keyPrefix>}` is a hash tag, so they share one Redis Cluster slot and
 * every script below may use them together. `v1` names the entry format (one `event` field of
 * JSON), for a later change to live beside it.
 */
export interface EventLogKeys {
  stream: string;
  dead: string;
  /** Hash: `<entry id>` → failed attempts, `<entry id>:error` → the last error. */
  attempts: string;
  /** `SET NX PX dedupeTtl` when the event is stored. */
  seen(event: Pick<StoredEvent, 'tenantId' | 'provider' | 'id'>): string;
  /** `SET NX PX dedupeTtl` when the event's effects are applied. */
  processed(event: Pick<StoredEvent, 'tenantId' | 'provider' | 'id'>): string;
}

export function eventLogKeys(keyPrefix: string): EventLogKeys {
  const base = `{${keyPrefix}}:v1`;
  // Each part escaped, so that no tenant or event id can make two events' keys the same.
  const name = (event: Pick<StoredEvent, 'tenantId' | 'provider' | 'id'>) => [event.tenantId, event.provider, event.id].map(encodeURIComponent).join(':');
  return {
    stream: `${base}:stream`,
    dead: `${base}:dead`,
    attempts: `${base}:attempts`,
    seen: (event) => `${base}:seen:${name(event)}`,
    processed: (event) => `${base}:processed:${name(event)}`,
  };
}

/**
 * Stores each event unless its seen key exists. KEYS: stream, then one seen key per event.
 * ARGV: dedupe ttl ms, then one JSON per event. Returns 1 (stored) or 0 (duplicate) per event.
 * XADD comes before SET: a script that fails at XADD (a full Redis, a wrong type) has written
 * nothing, so a seen key never exists without its event stored. Nothing is trimmed: an entry
 * leaves the stream only once handled or dead-lettered.
 */
export const APPEND = `
local ttl = ARGV[1]
local outcomes = {}
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    outcomes[#outcomes + 1] = 0
  else
    redis.call('XADD', KEYS[1], '*', 'event', ARGV[i])
    redis.call('SET', KEYS[i], '1', 'PX', ttl)
    outcomes[#outcomes + 1] = 1
  end
end
return outcomes
`;

/**
 * The event's effects are applied: mark it processed, ack and delete its entry, forget its
 * attempts. KEYS: stream, attempts, processed key. ARGV: group, entry id, dedupe ttl ms.
 */
export const SUCCEED = `
redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[2], ARGV[2], ARGV[2] .. ':error')
return 1
`;

/**
 * One failed attempt. KEYS: stream, dead, attempts. ARGV: group, consumer, entry id, last error,
 * max attempts, now ms. Returns {-1, 0} when the entry is no longer this consumer's (handled, or
 * taken over: its new owner counts from here), {0, attempts} to retry, {1, attempts} when it
 * was moved to the dead letters (with ack and delete, in the same step).
 */
export const FAIL = `
local entry = redis.call('XRANGE', KEYS[1], ARGV[3], ARGV[3])
if #entry == 0 or #redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2]) == 0 then
  return {-1, 0}
end
local attempts = redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
if attempts < tonumber(ARGV[5]) then
  redis.call('HSET', KEYS[3], ARGV[3] .. ':error', ARGV[4])
  return {0, attempts}
end
local fields = entry[1][2]
local event = ''
for i = 1, #fields, 2 do
  if fields[i] == 'event' then event = fields[i + 1] end
end
redis.call('XADD', KEYS[2], '*', 'event', event, 'attempts', attempts, 'lastError', ARGV[4], 'failedAt', ARGV[6], 'from', ARGV[3])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
redis.call('HDEL', KEYS[3], ARGV[3], ARGV[3] .. ':error')
return {1, attempts}
`;

/**
 * Keeps what this consumer holds from looking idle, so XAUTOCLAIM elsewhere leaves it alone (a
 * long handler, a retry waiting out its backoff). KEYS: stream. ARGV: group, consumer, entry
 * ids. Returns the ids that are no longer this consumer's. XCLAIM with JUSTID resets the idle
 * time without counting a delivery.
 */
export const TOUCH = `
local lost = {}
for i = 3, #ARGV do
  if #redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2]) == 1 then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return lost
`;

/**
 * Puts a dead letter back on the stream as a new entry (so its attempts start again), bypassing
 * the seen key but not the processed marker. KEYS: dead, stream. ARGV: dead entry id. XDEL
 * answers 1 to one caller only, so of two concurrent replays only one adds the event back.
 */
export const REPLAY = `
local entry = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #entry == 0 or redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
local fields = entry[1][2]
for i = 1, #fields, 2 do
  if fields[i] == 'event' then
    redis.call('XADD', KEYS[2], '*', 'event', fields[i + 1])
    return 1
  end
end
return 0
`;
