import { ConflictError, ErrorCode, UpstreamError } from '../../errors.ts';
import type { UpdateCustomerPayloadModel, UserErrorModel } from '../../model/writes.ts';
import type { WriteDefinition, WriteOutcome } from '../../writes/write-definition.ts';
import type { WriteEnv } from '../write-env.ts';

/** `updateCustomer`'s input as stored with a deferred write: the service's own id. */
export interface UpdateCustomerInput {
  customerId: string;
  email: string | null;
  name: string | null;
  expectedVersion: number | null;
}

/** The service's limits (docs/providers/customers.md): RFC 5321's longest address, and its name length. */
const MAX_EMAIL = 254;
const MAX_NAME = 200;

/**
 * `PATCH /v1/customers/{id}`, with `If-Match` when the client names the version it read. The
 * service answers the record as it now is, which is stored as the freshest copy: the answer and
 * the next query (lists too, through their newest-entity overlay) read it without another call.
 * A list filtered by the old email drops the customer at once (the overlay checks the filter);
 * one filtered by the new email, cached before, shows it when it expires (`customers.page`, 60 s).
 */
export const updateCustomer: WriteDefinition<WriteEnv, UpdateCustomerInput, UpdateCustomerPayloadModel> = {
  mutation: 'updateCustomer',
  provider: 'customers',
  needsKey: false,
  repeatable: true,
  // A version check belongs to the moment the client read: it cannot wait for an outage to end.
  deferrable: (input) => input.expectedVersion === null,
  check(input) {
    const errors: UserErrorModel[] = [];
    if (input.email === null && input.name === null) errors.push({ code: 'NOTHING_TO_CHANGE', message: 'Give an email, a name or both', field: ['input'] });
    if (input.email !== null && (input.email.length > MAX_EMAIL || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.email))) {
      errors.push({ code: 'INVALID_EMAIL', message: `Not an email address of at most ${MAX_EMAIL} characters`, field: ['input', 'email'] });
    }
    if (input.name !== null && (input.name.trim() === '' || input.name.length > MAX_NAME)) {
      errors.push({ code: 'INVALID_VALUE', message: `A name is 1 to ${MAX_NAME} characters, not blank`, field: ['input', 'name'] });
    }
    return errors;
  },
  async run(env, input): Promise<WriteOutcome<UpdateCustomerPayloadModel>> {
    const { customerId, expectedVersion } = input;
    const change = { ...(input.email === null ? {} : { email: input.email }), ...(input.name === null ? {} : { name: input.name }) };
    // The service's entity tag is `W/"<id>-v<version>"` and it compares versions (docs/providers/customers.md).
    const ifMatch = expectedVersion === null ? undefined : `W/"${customerId}-v${expectedVersion}"`;
    const answer = await env.clients.customers.update(customerId, change, ifMatch, env.call);
    switch (answer.status) {
      case 'not-found':
        return refused({ code: 'CUSTOMER_NOT_FOUND', message: `No customer ${customerId}`, field: ['input', 'id'] });
      case 'refused':
        if (answer.code === 'email_taken') return refused({ code: 'EMAIL_TAKEN', message: answer.message, field: ['input', 'email'] });
        if (answer.code !== 'invalid_request') throw new UpstreamError(ErrorCode.UpstreamRejected, 'customers', 'The customer service rejected the change', { detail: answer.code });
        return refused({ code: answer.field === 'email' ? 'INVALID_EMAIL' : 'INVALID_VALUE', message: answer.message, field: answer.field ? ['input', answer.field] : ['input'] });
      case 'conflict': {
        // The record as it is now, from the service: the cached copy is likely the very one the
        // client read its version from, and it should read the current one next.
        // A read that fails (near the deadline, say) must not hide the conflict: the 412's own version then.
        const current = await env.customers.reload(customerId).catch(() => null);
        // After a retry the failed precondition may be this write's own first attempt, whose
        // answer was lost: then the record holds exactly its values, one version on.
        const own = answer.afterRetry && expectedVersion !== null && current !== null && current.version === expectedVersion + 1;
        if (own && (input.email === null || current.email === input.email.toLowerCase()) && (input.name === null || current.name === input.name)) return succeeded(customerId, true);
        throw new ConflictError(`Customer ${customerId} is no longer at version ${expectedVersion}; read it again and decide`, current?.version ?? answer.currentVersion);
      }
      case 'updated':
        await env.customers.remember(answer.customer);
        return succeeded(customerId, true);
    }
  },
  pending: (status, operationId, userErrors) => ({ kind: 'UpdateCustomerPayload', status, operationId, userErrors, customerId: null }),
};

/** `stored`: the record as the service now has it is in the shared cache already (remember, reload). */
function succeeded(customerId: string, stored: boolean): WriteOutcome<UpdateCustomerPayloadModel> {
  return {
    payload: { kind: 'UpdateCustomerPayload', status: 'SUCCEEDED', operationId: null, userErrors: [], customerId },
    effects: [
      stored ? { kind: 'written', resource: 'customers.customer', id: customerId } : { kind: 'invalidate', resource: 'customers.customer', id: customerId },
      { kind: 'publish', topic: 'customer', key: customerId },
    ],
  };
}

function refused(error: UserErrorModel): WriteOutcome<UpdateCustomerPayloadModel> {
  return { payload: updateCustomer.pending('FAILED', null, [error]), effects: [] };
}
