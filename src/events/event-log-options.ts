import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { StoredEvent } from './event.ts';

/** What an event log calls when something fails that it handles itself (logging only). */
export type EventLogErrorReporter = (error: unknown, context: string) => void;

export interface EventLogOptions {
  /**
   * The gateway passes `${cache.keyPrefix}:events`. Redis keys are `{<keyPrefix>}:v1:…`: the
   * braces are a hash tag, so every key of the log lands in one Redis Cluster slot and each
   * script may touch them all. Must not hold braces itself.
   */
  keyPrefix: string;
  /** This instance's name in the consumer group (default `<hostname>-<pid>-<6 hex>`). */
  consumerName?: string;
  /** Failed attempts after which an event becomes a dead letter (default 8). */
  maxAttempts?: number;
  /** Full-jitter backoff: attempt n waits `random() * min(retryMaxMs, retryBaseMs * 2^(n-1))`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** An entry another consumer has not touched for this long is taken over (default 2 min). */
  claimIdleMs?: number;
  /** How long an event id is remembered as seen, and as processed (default 4 days). */
  dedupeTtlMs?: number;
  /** Handler calls at once (default 16). */
  concurrency?: number;
  /** Entries read or claimed per Redis command (default 32). */
  batchSize?: number;
  /** How long one XREADGROUP waits for new entries; bounds how long close() waits (default 1 s). */
  blockMs?: number;
  now?: () => number;
  random?: () => number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** Default: one line on stderr per failure. The gateway passes its logger. */
  onError?: EventLogErrorReporter;
  /**
   * Told once an event became a dead letter, with its last error (the deferred-write queue marks
   * the write FAILED). Must not throw; a rejection is reported through onError.
   */
  onDeadLetter?: (event: StoredEvent, lastError: string) => Promise<void>;
}

export type ResolvedEventLogOptions = Required<EventLogOptions>;

/*
 * Why these numbers. Dedupe: Stripe retries a delivery for up to 3 days, so 4 days covers every
 * retry of an event we already stored. Attempts and backoff: 8 attempts with waits capped at
 * 1, 2, 4 … 60 s give a failing effect about two minutes (expected half that with full jitter) to
 * recover before an operator has to look. Claim: a live consumer touches what it holds every
 * claimIdleMs / 3, so only a dead (or frozen) one's entries reach it; 2 min as EVENTS_CLAIM_IDLE_MS
 * (src/config.ts), which keeps it above the longest backoff too.
 */
export const EVENT_LOG_DEFAULTS = {
  maxAttempts: 8,
  retryBaseMs: 1000, // 1 s
  retryMaxMs: 60 * 1000, // 60 s
  claimIdleMs: 120 * 1000, // 2 min
  dedupeTtlMs: 4 * 24 * 60 * 60 * 1000, // 4 days
  concurrency: 16,
  batchSize: 32,
  blockMs: 1000, // 1 s
} as const;

/** Fills in the defaults and checks every option; a bad one throws a TypeError naming it. */
export function resolveEventLogOptions(options: EventLogOptions): ResolvedEventLogOptions {
  if (!/^[^{}\s]{1,200}$/.test(options.keyPrefix)) throw new TypeError(`keyPrefix must be 1-200 characters without braces or spaces: ${JSON.stringify(options.keyPrefix)}`);
  const resolved: ResolvedEventLogOptions = {
    keyPrefix: options.keyPrefix,
    consumerName: options.consumerName ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    maxAttempts: options.maxAttempts ?? EVENT_LOG_DEFAULTS.maxAttempts,
    retryBaseMs: options.retryBaseMs ?? EVENT_LOG_DEFAULTS.retryBaseMs,
    retryMaxMs: options.retryMaxMs ?? EVENT_LOG_DEFAULTS.retryMaxMs,
    claimIdleMs: options.claimIdleMs ?? EVENT_LOG_DEFAULTS.claimIdleMs,
    dedupeTtlMs: options.dedupeTtlMs ?? EVENT_LOG_DEFAULTS.dedupeTtlMs,
    concurrency: options.concurrency ?? EVENT_LOG_DEFAULTS.concurrency,
    batchSize: options.batchSize ?? EVENT_LOG_DEFAULTS.batchSize,
    blockMs: options.blockMs ?? EVENT_LOG_DEFAULTS.blockMs,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    setTimer: options.setTimer ?? ((callback, ms) => setTimeout(callback, ms).unref()),
    clearTimer: options.clearTimer ?? ((handle) => clearTimeout(handle as NodeJS.Timeout)),
    onError: options.onError ?? reportToStderr,
    onDeadLetter: options.onDeadLetter ?? (async () => undefined),
  };
  if (!/^[\w.:-]{1,100}$/.test(resolved.consumerName)) throw new TypeError(`consumerName must be 1-100 letters, digits, '.', ':', '_' or '-': ${JSON.stringify(resolved.consumerName)}`);
  positiveInteger('maxAttempts', resolved.maxAttempts);
  positiveInteger('concurrency', resolved.concurrency);
  positiveInteger('batchSize', resolved.batchSize);
  positiveInteger('blockMs', resolved.blockMs);
  positiveInteger('dedupeTtlMs', resolved.dedupeTtlMs);
  // claimIdleMs / 3 is the touch interval: below 3 ms it would spin.
  if (!(Number.isInteger(resolved.claimIdleMs) && resolved.claimIdleMs >= 3)) throw new TypeError(`claimIdleMs must be an integer of at least 3: ${resolved.claimIdleMs}`);
  if (!(Number.isFinite(resolved.retryBaseMs) && resolved.retryBaseMs >= 0)) throw new TypeError(`retryBaseMs must be a number >= 0: ${resolved.retryBaseMs}`);
  if (!(Number.isFinite(resolved.retryMaxMs) && resolved.retryMaxMs >= resolved.retryBaseMs)) {
    throw new TypeError(`retryMaxMs must be a number >= retryBaseMs (${resolved.retryBaseMs}): ${resolved.retryMaxMs}`);
  }
  return resolved;
}

/** The wait before the next attempt after `failures` failed ones (full jitter, AWS Architecture Blog "Exponential Backoff And Jitter"). */
export function retryDelayMs(options: Pick<ResolvedEventLogOptions, 'retryBaseMs' | 'retryMaxMs' | 'random'>, failures: number): number {
  const ceiling = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.max(0, failures - 1));
  return Math.floor(options.random() * ceiling);
}

/** An error's message for logs and dead letters: no stack, bounded. */
export function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  return message.length > 500 ? `${message.slice(0, 497)}...` : message;
}

function positiveInteger(name: string, value: number): void {
  if (!(Number.isInteger(value) && value > 0)) throw new TypeError(`${name} must be a positive integer: ${value}`);
}

function reportToStderr(error: unknown, context: string): void {
  process.stderr.write(`event log: ${context}: ${errorMessage(error)}\n`);
}
