import { isPlainObject, parseJson } from '../shared/read-body.ts';
import type { RouteHandler } from '../shared/router.ts';
import { headerValue } from '../shared/sim-request.ts';
import { applyCustomerChange, parseCustomerChange } from './customer-change.ts';
import { customerJson, type CustomerStore } from './customer-store.ts';
import type { CustomerWebhooks } from './customer-webhooks.ts';
import { customersError } from './customers-error.ts';
import { customerEtag, ifMatchMatches } from './entity-tag.ts';
import { customerValidators } from './get-customer.ts';

const FIELDS = new Set(['email', 'name']);

/**
 * `PATCH /v1/customers/{id}`, JSON `{email?, name?}`, optionally conditional on `If-Match`.
 * Checked in this order, each answer changing nothing: unknown id (404), the body (400), the
 * precondition (412, with the current version so the caller can tell how far behind it is), the
 * email's uniqueness (409). A stale writer learns it is stale before it learns of a conflict.
 */
export function patchCustomer(store: CustomerStore, webhooks: CustomerWebhooks, clock: () => number): RouteHandler {
  return (req) => {
    const id = req.params.id ?? '';
    const record = store.get(id);
    if (!record) return customersError(404, 'not_found', `No customer with id '${id}'`);

    const body = parseJson(req.body);
    if (!isPlainObject(body)) return customersError(400, 'invalid_request', 'Body must be a JSON object {"email"?: "…", "name"?: "…"}');
    const unknown = Object.keys(body).find((field) => !FIELDS.has(field));
    if (unknown !== undefined) return customersError(400, 'invalid_request', `Unknown field '${unknown}'; a customer's "email" and "name" can be changed`);
    const change = parseCustomerChange(body);
    if (typeof change === 'string') return customersError(400, 'invalid_request', change);

    const ifMatch = headerValue(req, 'if-match');
    if (ifMatch !== undefined && !ifMatchMatches(ifMatch, customerEtag(record))) {
      const refusal = customersError(412, 'precondition_failed', `If-Match ${ifMatch} does not name the current version of ${id}`, {
        currentVersion: record.version,
      });
      return { ...refusal, headers: { etag: customerEtag(record) } };
    }

    const refusal = applyCustomerChange(store, webhooks, record, change, clock());
    if (refusal) return refusal;
    return { status: 200, headers: customerValidators(record), body: customerJson(record) };
  };
}
