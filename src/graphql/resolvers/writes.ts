import type { AddCrmNotePayloadResolvers, CrmNoteResolvers, RefundPaymentPayloadResolvers, RefundResolvers, UpdateCrmContactPayloadResolvers, UpdateCustomerPayloadResolvers, WriteOperationResolvers, WritePayloadResolvers } from '../../generated/graphql.ts';

/**
 * Write payloads hold ids, not objects: the objects are read through the loaders when asked for,
 * after the write dropped or replaced their cached copies, so they are as the provider now has
 * them (a payload stored by a queued write is read days later the same way).
 */
export const RefundPaymentPayload: RefundPaymentPayloadResolvers = {
  payment: (payload, _args, ctx) => (payload.paymentId === null ? null : ctx.stripe.chargeById.load(payload.paymentId)),
};

export const UpdateCustomerPayload: UpdateCustomerPayloadResolvers = {
  customer: (payload, _args, ctx) => (payload.customerId === null ? null : ctx.customers.byId.load(payload.customerId)),
};

export const UpdateCrmContactPayload: UpdateCrmContactPayloadResolvers = {
  crmContact: (payload, _args, ctx) => (payload.contactId === null ? null : ctx.hubspot.contactById.load(payload.contactId)),
};

export const AddCrmNotePayload: AddCrmNotePayloadResolvers = {
  crmContact: (payload, _args, ctx) => (payload.contactId === null ? null : ctx.hubspot.contactById.load(payload.contactId)),
};

export const Refund: RefundResolvers = {
  amount: (refund) => ({ minorUnits: BigInt(refund.amountMinor), currency: refund.currency }),
  createdAt: (refund) => new Date(refund.createdAt),
};

export const CrmNote: CrmNoteResolvers = {
  timestamp: (note) => new Date(note.timestamp),
};

export const WritePayload: WritePayloadResolvers = {
  __resolveType: (payload) => payload.kind,
};

export const WriteOperation: WriteOperationResolvers = {
  createdAt: (operation) => new Date(operation.createdAt),
  updatedAt: (operation) => new Date(operation.updatedAt),
};
