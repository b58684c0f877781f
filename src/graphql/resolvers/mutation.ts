import type { GraphQLResolveInfo } from 'graphql';
import type { MutationResolvers } from '../../generated/graphql.ts';
import { expectGlobalId } from '../../model/global-id.ts';
import { updateCustomer } from '../../providers/customers/writes.ts';
import { addCrmNote, updateCrmContact } from '../../providers/hubspot/writes.ts';
import { refundPayment } from '../../providers/stripe/writes.ts';

/**
 * Each mutation decodes its ids and hands a plain-JSON input to its provider's write, through the
 * context's write support (src/server/writes/), which runs it now or queues it. The
 * `idempotencyKey` argument is read before execution, with the header, by the idempotency plugin.
 */
export const Mutation: MutationResolvers = {
  refundPayment: (_root, { input, allowDeferred }, ctx, info) =>
    ctx.writes.run(
      refundPayment,
      { chargeId: expectGlobalId(input.paymentId, 'Payment', 'paymentId'), amount: input.amount ?? null, reason: input.reason ?? null },
      { path: pathOf(info), allowDeferred: allowDeferred === true },
    ),
  updateCustomer: (_root, { input, allowDeferred }, ctx, info) =>
    ctx.writes.run(
      updateCustomer,
      { customerId: expectGlobalId(input.id, 'Customer', 'id'), email: input.email ?? null, name: input.name ?? null, expectedVersion: input.expectedVersion ?? null },
      { path: pathOf(info), allowDeferred: allowDeferred === true },
    ),
  updateCrmContact: (_root, { input, allowDeferred }, ctx, info) =>
    ctx.writes.run(
      updateCrmContact,
      { customerId: expectGlobalId(input.customerId, 'Customer', 'customerId'), lifecycleStage: input.lifecycleStage ?? null, firstName: input.firstName ?? null, lastName: input.lastName ?? null },
      { path: pathOf(info), allowDeferred: allowDeferred === true },
    ),
  addCrmNote: (_root, { input, allowDeferred }, ctx, info) =>
    ctx.writes.run(
      addCrmNote,
      // The interaction happened now, even if HubSpot hears of it after an outage.
      { customerId: expectGlobalId(input.customerId, 'Customer', 'customerId'), body: input.body, timestamp: new Date().toISOString() },
      { path: pathOf(info), allowDeferred: allowDeferred === true },
    ),
};

/** The field's response key: two aliased refunds in one request are two writes. */
function pathOf(info: GraphQLResolveInfo): string {
  return String(info.path.key);
}
