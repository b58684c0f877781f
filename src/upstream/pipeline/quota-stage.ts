import { ErrorCode, isUpstreamError, type ProviderName } from '../../errors.ts';
import type { Quota } from '../quota/quota-guard.ts';
import type { Stage } from './stage.ts';

/** Told of each wait for budget, and of each call refused before it went out. */
export interface QuotaObserver {
  waited(ms: number): void;
  refused(reason: 'quota_spent' | 'deadline'): void;
}

/**
 * Waits for the provider's budget, never longer than `maxWaitMs` nor past the operation's
 * deadline. Inside the breaker, so an open circuit spends no budget. The request counts as in
 * flight until its answer (or failure) comes back: only then does the quota know that the
 * provider has counted it (see QuotaGuard).
 */
export function quotaStage(provider: ProviderName, quota: Quota, maxWaitMs: number, observe: QuotaObserver = { waited() {}, refused() {} }): Stage {
  return (next) => async (req) => {
    const { call } = req;
    if (call.remainingMs() <= 0) {
      observe.refused('deadline');
      throw call.timeoutError(provider);
    }
    let waited: number;
    try {
      waited = await quota.acquire(Math.min(maxWaitMs, call.remainingMs()), call.fairnessKey);
    } catch (error) {
      observe.refused(isUpstreamError(error) && error.code === ErrorCode.UpstreamRateLimited ? 'quota_spent' : 'deadline');
      throw error;
    }
    call.report.recordQuotaWait(provider, waited);
    if (waited > 0) observe.waited(waited);
    try {
      return await next(req);
    } finally {
      quota.settle();
    }
  };
}
