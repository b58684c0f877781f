import { isPlainObject } from '../shared/read-body.ts';
import type { SimResponse } from '../shared/sim-request.ts';
import { refund, type RefundDependencies } from './create-refund.ts';
import { invalidRequest } from './stripe-error.ts';

/**
 * `POST /_sim/mutate` on Stripe: `{"action":"refund","charge":"ch_…","amount"?:n}`, a refund made
 * in the dashboard. It takes the API's path (same checks, same events) with no request id, as
 * Stripe's events for dashboard changes carry `request: {id: null, idempotency_key: null}`.
 */
export function stripeMutation(deps: RefundDependencies): (body: unknown) => SimResponse {
  return (body) => {
    if (!isPlainObject(body) || typeof body.action !== 'string') {
      return invalidRequest('Body must be {"action": "refund", "charge": "ch_…", "amount"?: n}', { param: 'action' });
    }
    if (body.action !== 'refund') return invalidRequest(`Unknown action '${body.action}'; known: refund`, { param: 'action' });
    const { charge, amount } = body;
    if (typeof charge !== 'string' || charge === '') return invalidRequest('"charge" must be a charge id', { param: 'charge' });
    if (amount !== undefined && (typeof amount !== 'number' || !Number.isInteger(amount))) {
      return invalidRequest(`Invalid integer: ${JSON.stringify(amount)}`, { code: 'parameter_invalid_integer', param: 'amount' });
    }
    const params = new URLSearchParams({ charge });
    if (amount !== undefined) params.set('amount', String(amount));
    return refund(deps, params, { id: null, idempotency_key: null });
  };
}
