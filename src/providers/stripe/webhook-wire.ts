import { z } from 'zod';
import { wireCharge, type WireCharge } from './wire.ts';

/**
 * A Stripe event as a webhook delivers it (https://docs.stripe.com/api/events/object): only the
 * fields the gateway relies on are checked; the rest pass through untouched (loose objects), so
 * the stored payload is the whole event.
 *
 * `data.object` is checked as a Charge when it says it is one (`object: "charge"`), not when the
 * type starts with `charge.`: `charge.dispute.*` carries a Dispute and `charge.refund.updated` a
 * Refund, and refusing those as malformed would have Stripe retry them for three days.
 */
export const stripeEvent = z
  .looseObject({
    id: z.string().startsWith('evt_'),
    type: z.string().min(1),
    created: z.number().int().nonnegative(),
    data: z.looseObject({ object: z.record(z.string(), z.unknown()) }),
  })
  .superRefine((event, context) => {
    if (event.data.object['object'] !== 'charge') return;
    for (const issue of wireCharge.safeParse(event.data.object).error?.issues ?? []) {
      context.addIssue({ code: 'custom', message: `not a charge: ${issue.message}`, path: ['data', 'object', ...issue.path] });
    }
  });
export type StripeEvent = z.output<typeof stripeEvent>;

/** A verified event's payload read back as a Stripe event; undefined when it is not one. */
export function stripeEventOf(payload: unknown): StripeEvent | undefined {
  const parsed = stripeEvent.safeParse(payload);
  return parsed.success ? parsed.data : undefined;
}

/** The Charge an event carries (`charge.succeeded`, `charge.refunded`, …), or undefined. */
export function chargeOf(event: StripeEvent): WireCharge | undefined {
  if (event.data.object['object'] !== 'charge') return undefined;
  const parsed = wireCharge.safeParse(event.data.object);
  return parsed.success ? parsed.data : undefined;
}
