import type { ApolloServerPlugin } from '@apollo/server';
import type { Principal } from '../../auth/principal.ts';
import { operationErrorOf } from '../format-error.ts';
import type { OperationContext } from '../operation-context.ts';
import type { ClientRateLimiter, RateLimitDecision } from './client-rate-limiter.ts';
import { rateLimitedError } from './request-rate-limit.ts';

/** What an operation costs when nothing estimated it: one unit, so the cost budget counts operations. */
const DEFAULT_OPERATION_COST = 1;

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
 * Charges each operation once it is resolved, before it runs, with the cost the estimate left on
 * the context (`estimate.cost`) or one unit. A refusal stops the operation: Apollo answers with
 * the HTTP status and headers it reads from the GraphQL error (operationErrorOf). An admitted
 * operation's answer carries the RateLimit fields as they stand after the charge, which
 * replace the request hook's: they read all four budgets.
 */
export function operationCostPlugin(limiter: ClientRateLimiter): ApolloServerPlugin<OperationContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, response }) {
          const estimate = (contextValue as { estimate?: { cost?: unknown } }).estimate;
          const cost = typeof estimate?.cost === 'number' ? Math.max(0, Math.ceil(estimate.cost)) : DEFAULT_OPERATION_COST;
          let decision: RateLimitDecision;
          try {
            decision = await chargeOperationCost(limiter, contextValue.principal, cost);
          } catch (error) {
            throw operationErrorOf(error);
          }
          for (const [name, value] of Object.entries(decision.headers)) response.http.headers.set(name.toLowerCase(), value);
        },
      };
    },
  };
}
