import type { RetryPolicy } from '../resilience/retry-policy.ts';
import type { Stage } from './stage.ts';

/**
 * Repeats safe requests after transient failures, within the policy's backoff and budget. An
 * answer that took more than one attempt says so: a write that finds its precondition failed may
 * be finding its own earlier attempt, whose answer was lost.
 */
export function retryStage(retry: RetryPolicy): Stage {
  return (next) => async (req) => {
    let attempts = 0;
    const response = await retry.run(req.call, req.method === 'GET' || req.idempotent === true, () => {
      attempts += 1;
      return next(attempts === 1 ? req : { ...req, attempt: attempts });
    });
    return attempts > 1 ? { ...response, attempts } : response;
  };
}
