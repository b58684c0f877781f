import { BulkheadRejectedError, bulkhead } from 'cockatiel';
import { ErrorCode, UpstreamError, isUpstreamError, type ProviderName } from '../../errors.ts';
import type { Stage } from './stage.ts';

export interface BulkheadOptions {
  /** Calls in flight at once. */
  maxConcurrent: number;
  /** Calls allowed to wait for a slot; one more is refused at once. */
  maxQueued: number;
}

/**
 * Caps a provider's calls in flight, with a bounded queue. A full one is the gateway's own
 * back-pressure (byGateway), so it never counts against the provider's health.
 */
export function bulkheadStage(provider: ProviderName, options: BulkheadOptions): Stage {
  if (!(Number.isInteger(options.maxConcurrent) && options.maxConcurrent >= 1)) throw new TypeError(`maxConcurrent must be a positive integer: ${options.maxConcurrent}`);
  if (!(Number.isInteger(options.maxQueued) && options.maxQueued >= 0)) throw new TypeError(`maxQueued must be a non-negative integer: ${options.maxQueued}`);
  const policy = bulkhead(options.maxConcurrent, options.maxQueued);
  return (next) => async (req) => {
    const { call } = req;
    try {
      return await policy.execute(() => next(req), call.signal);
    } catch (error) {
      if (error instanceof BulkheadRejectedError) {
        throw new UpstreamError(ErrorCode.UpstreamUnavailable, provider, `too many calls to ${provider} in flight`, { detail: 'bulkhead full', byGateway: true });
      }
      if (call.signal.aborted && !isUpstreamError(error)) throw call.timeoutError(provider);
      throw error;
    }
  };
}
