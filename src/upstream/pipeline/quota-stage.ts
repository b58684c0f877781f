import type { ProviderName } from '../../errors.ts';
import type { Quota } from '../quota/quota-guard.ts';
import type { Stage } from './stage.ts';

/**
 * Waits for the provider's budget, never longer than `maxWaitMs` nor past the operation's
 * deadline. Inside the breaker, so an open circuit spends no budget. The request counts as in
 * flight until its answer (or failure) comes back: only then does the quota know that the
 * provider has counted it (see QuotaGuard).
 */
export function quotaStage(provider: ProviderName, quota: Quota, maxWaitMs: number): Stage {
  return (next) => async (req) => {
    const { call } = req;
    if (call.remainingMs() <= 0) throw call.timeoutError(provider);
    const waited = await quota.acquire(Math.min(maxWaitMs, call.remainingMs()), call.fairnessKey);
    call.report.recordQuotaWait(provider, waited);
    try {
      return await next(req);
    } finally {
      quota.settle();
    }
  };
}
