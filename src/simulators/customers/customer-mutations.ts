import { isPlainObject } from '../shared/read-body.ts';
import type { SimResponse } from '../shared/sim-request.ts';
import { applyCustomerChange, parseCustomerChange } from './customer-change.ts';
import { customerJsonWithEtag, type CustomerStore } from './customer-store.ts';
import type { CustomerWebhooks } from './customer-webhooks.ts';
import { customersError } from './customers-error.ts';

const ACTIONS = ['updateCustomer', 'deleteCustomer'];

/**
 * `POST /_sim/mutate` on the customer service: `{"action":"updateCustomer","id","email"?,"name"?}`
 * or `{"action":"deleteCustomer","id"}`, a change made by another client of the service. Answers
 * the record as it now is (as it was, when deleted) and sends `customer.updated` /
 * `customer.deleted`; an update that changes nothing sends nothing. The update takes the same
 * checks and the same path as `PATCH /v1/customers/{id}` (customer-change.ts).
 */
export function customerMutation(store: CustomerStore, webhooks: CustomerWebhooks, clock: () => number): (body: unknown) => SimResponse {
  return (body) => {
    if (!isPlainObject(body) || typeof body.action !== 'string' || !ACTIONS.includes(body.action)) {
      return customersError(400, 'invalid_request', `Body must be {"action": one of ${ACTIONS.join(', ')}, "id": "…", …}`);
    }
    const id = body.id;
    const record = typeof id === 'string' ? store.get(id) : undefined;
    if (!record) return customersError(404, 'not_found', `No customer with id '${String(id)}'`);
    if (body.action === 'deleteCustomer') {
      store.remove(record);
      webhooks.deleted(record.id);
      return { status: 200, body: customerJsonWithEtag(record) };
    }
    const change = parseCustomerChange(body);
    if (typeof change === 'string') return customersError(400, 'invalid_request', change);
    const refusal = applyCustomerChange(store, webhooks, record, change, clock());
    if (refusal) return refusal;
    return { status: 200, body: customerJsonWithEtag(record) };
  };
}
