import { z } from 'zod';

/** Stripe v1 Charge, only the fields the gateway reads (https://docs.stripe.com/api/charges/object). */
export const wireCharge = z.object({
  id: z.string().startsWith('ch_'),
  object: z.literal('charge'),
  amount: z.number().int(),
  amount_refunded: z.number().int(),
  currency: z.string().length(3),
  created: z.number().int(),
  customer: z.string().nullable(),
  description: z.string().nullable(),
  refunded: z.boolean(),
  status: z.enum(['succeeded', 'pending', 'failed']),
});
export type WireCharge = z.output<typeof wireCharge>;

export const wireChargeList = z.object({
  object: z.literal('list'),
  has_more: z.boolean(),
  data: z.array(wireCharge),
});

/** `GET /v1/charges/search` (https://docs.stripe.com/api/pagination/search). */
export const wireChargeSearch = z.object({
  object: z.literal('search_result'),
  has_more: z.boolean(),
  data: z.array(wireCharge),
  next_page: z.string().nullable(),
});

export const wireError = z.object({
  error: z.object({ type: z.string(), code: z.string().optional(), param: z.string().optional(), message: z.string().optional() }),
});

/** Stripe v1 Refund, the fields the gateway reads (https://docs.stripe.com/api/refunds/object). */
export const wireRefund = z.object({
  id: z.string().startsWith('re_'),
  object: z.literal('refund'),
  amount: z.number().int(),
  charge: z.string().nullable(),
  created: z.number().int(),
  currency: z.string().length(3),
  reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer', 'expired_uncaptured_charge']).nullable(),
  status: z.string(),
});
export type WireRefund = z.output<typeof wireRefund>;
