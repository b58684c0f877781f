import type { CustomerRecord } from '../dataset/dataset.ts';
import type { SimResponse } from '../shared/sim-request.ts';
import type { CustomerChange, CustomerStore } from './customer-store.ts';
import type { CustomerWebhooks } from './customer-webhooks.ts';
import { customersError } from './customers-error.ts';

/**
 * The `email` and `name` of a change, as `PATCH /v1/customers/{id}` and `POST /_sim/mutate` both
 * take them: at least one, an address with an `@`, a name that is not blank. Answers a message
 * saying what is wrong instead when it is not.
 */
export function parseCustomerChange(body: Record<string, unknown>): CustomerChange | string {
  const { email, name } = body;
  if (email === undefined && name === undefined) return 'Send "email", "name" or both';
  const change: CustomerChange = {};
  if (email !== undefined) {
    if (typeof email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(email)) return '"email" must be an email address';
    change.email = email;
  }
  if (name !== undefined) {
    if (typeof name !== 'string' || name.trim() === '') return '"name" must be a non-empty string';
    change.name = name;
  }
  return change;
}

/**
 * Applies a checked change the way every writer of the service does: an email another customer
 * holds is refused (`409 email_taken`, emails are unique case-insensitively), otherwise the store
 * moves the version when something differs and `customer.updated` announces it; a change that
 * changes nothing announces nothing. Answers undefined on success.
 */
export function applyCustomerChange(
  store: CustomerStore,
  webhooks: CustomerWebhooks,
  record: CustomerRecord,
  change: CustomerChange,
  now: number,
): SimResponse | undefined {
  if (change.email !== undefined) {
    const holder = store.withEmail(change.email);
    if (holder && holder !== record) {
      return customersError(409, 'email_taken', `Another customer already has the email '${change.email.toLowerCase()}'`);
    }
  }
  if (store.update(record, change, now)) webhooks.updated(record);
  return undefined;
}
