import type { RetryPolicy } from '../resilience/retry-policy.ts';
import type { Stage } from './stage.ts';

/** Repeats safe requests after transient failures, within the policy's backoff and budget. */
export function retryStage(retry: RetryPolicy): Stage {
  return (next) => (req) => retry.run(req.call, req.method === 'GET' || req.idempotent === true, () => next(req));
}
