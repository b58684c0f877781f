import { ErrorCode, GatewayError } from '../../errors.ts';

/** One more subscription than a connection may hold (SUBSCRIPTIONS_MAX_PER_CONNECTION); the others go on. */
export class TooManySubscriptionsError extends GatewayError {
  readonly code = ErrorCode.TooManySubscriptions;
  override readonly name = 'TooManySubscriptionsError';

  constructor(readonly maxSubscriptions: number) {
    super(`A connection holds at most ${maxSubscriptions} subscriptions; complete one first, or open another connection`);
  }

  override publicExtensions(): Record<string, unknown> {
    return { maxSubscriptions: this.maxSubscriptions };
  }
}
