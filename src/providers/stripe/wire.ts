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

export const wireError = z.object({
  error: z.object({ type: z.string(), code: z.string().optional(), param: z.string().optional(), message: z.string().optional() }),
});
