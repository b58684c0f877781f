import { isDeepStrictEqual } from 'node:util';
import type { Effect, EventMapping } from '../../events/effects.ts';
import type { StoredEvent } from '../../events/event.ts';
import type { EventDecision } from '../../upstream/cache/entity-cache.ts';
import type { WireChargePage } from './client.ts';
import { chargeOf, stripeEventOf } from './webhook-wire.ts';
import type { WireCharge } from './wire.ts';

/**
 * Stripe events carry the whole object after the change, and `previous_attributes`: the values
 * the changed fields had just before. A cached charge equal to the event's is current; one equal
 * to the state just before the event (the event's object with the previous values put back) is
 * replaced, so the change costs no call. Anything else — an older state (an event in between not
 * yet seen), or a newer one — cannot be ordered by Stripe's one-second `created`, so it is
 * dropped and read again. Stripe sends no object versions, so this is the only safe comparison.
 */
export const stripeEventMapping: EventMapping = {
  provider: 'stripe',
  effectsOf(stored: StoredEvent): Effect[] {
    const event = stripeEventOf(stored.payload);
    if (!event) return [];
    const charge = chargeOf(event);
    if (charge) {
      const previous = event.data['previous_attributes'];
      const before = typeof previous === 'object' && previous !== null ? (previous as Record<string, unknown>) : undefined;
      const effects: Effect[] = [{ kind: 'update', resource: 'stripe.charge', id: charge.id, decide: (cached) => decideCharge(cached as WireCharge | null, charge, before) }];
      if (charge.customer !== null) {
        // The customer's first page (the key the loaders read first): a charge it does not hold
        // is new, and the page is read again with it at the top, as Stripe lists newest first.
        effects.push({ kind: 'update', resource: 'stripe.charges', id: charge.customer, decide: (cached) => decidePage(cached as WireChargePage | null, charge, before) });
        effects.push({ kind: 'publish', topic: 'payment', key: charge.customer, entityId: charge.id });
      }
      return effects;
    }
    const object = event.data.object;
    if (event.type === 'customer.deleted' && typeof object['id'] === 'string') {
      return [{ kind: 'invalidate', resource: 'stripe.charges', id: object['id'] }];
    }
    return [];
  },
};

function decideCharge(cached: WireCharge | null, next: WireCharge, before: Record<string, unknown> | undefined): EventDecision<WireCharge> {
  if (cached === null) return 'unknown';
  if (isDeepStrictEqual(cached, next)) return 'current';
  if (before && isDeepStrictEqual(cached, { ...next, ...pick(before, Object.keys(next)) })) return { replace: next };
  return 'unknown';
}

function decidePage(page: WireChargePage | null, next: WireCharge, before: Record<string, unknown> | undefined): EventDecision<WireChargePage> {
  const index = page?.charges.findIndex((charge) => charge.id === next.id) ?? -1;
  if (!page || index < 0) return 'unknown';
  const decision = decideCharge(page.charges[index]!, next, before);
  if (decision === 'current' || decision === 'unknown') return decision;
  return { replace: { ...page, charges: page.charges.map((charge, at) => (at === index ? decision.replace : charge)) } };
}

/** The previous values of the fields the gateway keeps (a wire charge's keys), ignoring the rest. */
function pick(values: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => Object.hasOwn(values, key)).map((key) => [key, values[key]]));
}
