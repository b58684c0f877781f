import type { HeaderMap } from '@apollo/server';
import type { Principal } from '../../auth/principal.ts';
import { operationErrorOf } from '../format-error.ts';
import type { OperationContext } from '../operation-context.ts';
import type { ClientRateLimiter, RateLimitDecision } from './client-rate-limiter.ts';
import { rateLimitedError } from './request-rate-limit.ts';

/**
 * Spends an operation's estimated cost from its client's and tenant's cost budgets; throws
 * RATE_LIMITED (a RateLimitedError, with the 429's headers) when they cannot afford it.
 * Returns the decision, whose headers the answer carries.
 */
export async function chargeOperationCost(limiter: ClientRateLimiter, principal: Principal, cost: number): Promise<RateLimitDecision> {
  const decision = await limiter.consume(principal, { requests: 0, cost });
  if (!decision.allowed) throw rateLimitedError(decision);
  return decision;
}

/**
 * The operation limits' `onEstimate` hook: charges each operation its estimated cost once it is
 * resolved and within the limits, before it runs. A refusal stops the operation: Apollo answers
 * with the HTTP status and headers it reads from the GraphQL error (operationErrorOf). An admitted
 * operation's answer carries the RateLimit fields as they stand after the charge, which replace
 * the request hook's: they read all four budgets. An operation that costs nothing is not charged.
 */
export function operationCostCharger(limiter: ClientRateLimiter) {
  // Not async: the in-process store answers in place, and then the charge costs no promise.
  return (context: OperationContext, estimate: { cost: number }, http: { headers: HeaderMap }): void | Promise<void> => {
    const cost = Math.max(0, Math.ceil(estimate.cost));
    // Nothing to spend (`{ __typename }`): a charge of 0 is never refused and changes no budget,
    // so the fields the request hook read a moment ago stand; asking again cost a store call
    // and two more headers on every such answer.
    if (cost === 0) return;
    let decision: RateLimitDecision | Promise<RateLimitDecision>;
    try {
      decision = limiter.consumeNow(context.principal, { requests: 0, cost });
    } catch (error) {
      throw operationErrorOf(error);
    }
    if (decision instanceof Promise) {
      return decision.then(
        (settled) => admit(settled, http),
        (error: unknown) => {
          throw operationErrorOf(error);
        },
      );
    }
    admit(decision, http);
  };
}

function admit(decision: RateLimitDecision, http: { headers: HeaderMap }): void {
  if (!decision.allowed) throw operationErrorOf(rateLimitedError(decision));
  for (const [name, value] of Object.entries(decision.headers)) http.headers.set(name.toLowerCase(), value);
}
