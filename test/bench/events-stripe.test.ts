import { describe, expect, it } from 'vitest';
import { percentiles, refundable, signedRefunds } from '../../bench/events-stripe.ts';
import { pickCustomers } from '../../bench/events-subscribers.ts';
import type { StoredEvent } from '../../src/events/event.ts';
import { fromGlobalId } from '../../src/model/global-id.ts';
import { createStripeWebhookVerifier, stripeEventMapping } from '../../src/providers/stripe/index.ts';
import { wireCharge } from '../../src/providers/stripe/wire.ts';
import { buildDataset, SIM_CREDENTIALS } from '../../src/simulators/index.ts';

const dataset = buildDataset();
const charges = refundable(dataset.stripe.charges);
const secret = SIM_CREDENTIALS.stripeWebhookSecret;
const nowSec = 1_790_000_000;

describe('the events bench’s pre-signed Stripe deliveries', () => {
  it('are distinct events that the gateway’s verifier accepts', () => {
    const deliveries = signedRefunds(charges, charges.length + 5, { secret, nowSec, tag: 'abc123' });
    expect(new Set(deliveries.map((d) => d.eventId)).size).toBe(deliveries.length);
    // Past the end of the charges, they start again from the first.
    expect(deliveries[charges.length]?.chargeId).toBe(charges[0]?.id);
    const verifier = createStripeWebhookVerifier();
    for (const delivery of [deliveries[0], deliveries[deliveries.length - 1]]) {
      const verified = verifier.verify({ method: 'POST', url: 'http://gw/webhooks/stripe', headers: { 'stripe-signature': delivery?.signature }, rawBody: delivery?.body ?? Buffer.alloc(0) }, [secret], nowSec * 1000);
      expect(verified.ok && verified.events.map((event) => [event.id, event.type])).toEqual([[delivery?.eventId, 'charge.refunded']]);
    }
  });

  it('refund a charge the gateway holds as it was, so it replaces its copy without a call, and name its customer to subscribers', () => {
    const [delivery] = signedRefunds(charges, 1, { secret, nowSec, tag: 'abc123' });
    const payload: unknown = JSON.parse(delivery?.body.toString('utf8') ?? '');
    const stored: StoredEvent = { provider: 'stripe', id: delivery?.eventId ?? '', type: 'charge.refunded', occurredAt: nowSec * 1000, payload, tenantId: 'default', receivedAt: nowSec * 1000 };
    const effects = stripeEventMapping.effectsOf(stored);
    const charge = charges[0];
    const update = effects.find((effect) => effect.kind === 'update' && effect.resource === 'stripe.charge');
    const cachedBefore = wireCharge.parse(charge);
    const decision = update?.kind === 'update' ? update.decide(cachedBefore, 'fresh') : undefined;
    expect(decision).toEqual({ replace: { ...cachedBefore, amount_refunded: charge?.amount, refunded: true } });
    expect(effects).toContainEqual({ kind: 'publish', topic: 'payment', key: charge?.customer, entityId: charge?.id });
  });

  it('refuse a tag that would make an odd event id', () => {
    expect(() => signedRefunds(charges, 1, { secret, nowSec, tag: 'a b' })).toThrow(TypeError);
    expect(() => signedRefunds([], 1, { secret, nowSec, tag: 'ab' })).toThrow(TypeError);
  });
});

describe('the events bench’s subscribed customers', () => {
  it('are distinct customers, each with its own refundable charges for the warm-up and the measured rounds', () => {
    const customers = pickCustomers(dataset, 100, 3);
    expect(new Set(customers.map((c) => c.globalId)).size).toBe(100);
    const used = customers.flatMap((c) => [c.warmUp, ...c.measured]);
    expect(new Set(used.map((charge) => charge.id)).size).toBe(400);
    expect(refundable(used)).toHaveLength(400);
    for (const customer of customers) {
      const record = dataset.customers.find((c) => c.id === fromGlobalId(customer.globalId).id);
      expect(used.filter((charge) => customer.measured.includes(charge)).every((charge) => charge.customer === record?.externalRefs.stripe)).toBe(true);
    }
  });

  it('says so when the dataset cannot provide that many', () => {
    expect(() => pickCustomers(dataset, 100, 1000)).toThrow(RangeError);
  });
});

describe('percentiles', () => {
  it('takes the nearest rank, as the load measurements do', () => {
    const values = Array.from({ length: 200 }, (_, i) => 200 - i);
    expect(percentiles(values)).toEqual({ count: 200, p50: 100, p99: 198, max: 200 });
    expect(percentiles([])).toEqual({ count: 0, p50: 0, p99: 0, max: 0 });
  });
});
