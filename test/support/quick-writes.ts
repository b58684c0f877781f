/**
 * Settings under which a deferred write is sent soon after its provider's outage ends: a
 * queue backoff of milliseconds, attempts that an outage cannot use up, a circuit that probes
 * again almost at once, and quick pipeline retries. Tests wait with `eventually`, never sleep.
 */
export const QUICK_WRITES = {
  WRITES_RETRY_BASE_MS: '10',
  WRITES_RETRY_MAX_MS: '50',
  WRITES_MAX_ATTEMPTS: '1000',
  BREAKER_HALF_OPEN_AFTER_MS: '20',
  RETRY_BASE_DELAY_MS: '1',
  RETRY_MAX_DELAY_MS: '10',
} as const;
