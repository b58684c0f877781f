import { z } from 'zod';

/**
 * A customer service webhook body (Standard Webhooks' recommended shape): `type`, `timestamp`
 * (ISO 8601, when the change happened) and `data` with at least the changed thing's `id`. Only
 * these are checked; anything else passes through (loose objects), so the stored payload is the
 * whole body. `timestamp` may be missing or unparseable: the verifier then falls back to the
 * signed `webhook-timestamp`.
 */
export const customersWebhookEvent = z.looseObject({
  type: z.string().min(1),
  timestamp: z.string().optional(),
  data: z.looseObject({ id: z.string().min(1) }),
});
export type CustomersWebhookEvent = z.output<typeof customersWebhookEvent>;

/** A verified event's payload read back as a customer service event; undefined when it is not one. */
export function customersEventOf(payload: unknown): CustomersWebhookEvent | undefined {
  const parsed = customersWebhookEvent.safeParse(payload);
  return parsed.success ? parsed.data : undefined;
}
