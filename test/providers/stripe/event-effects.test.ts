import { describe, expect, it } from 'vitest';
import type { Effect } from '../../../src/events/effects.ts';
import type { StoredEvent } from '../../../src/events/event.ts';
import { stripeEventMapping } from '../../../src/providers/stripe/index.ts';

const before = { id: 'ch_1', object: 'charge', amount: 1000, amount_refunded: 0, currency: 'usd', created: 1_700_000_000, customer: 'cus_1', description: null, refunded: false, status: 'succeeded' } as const;
const after = { ...before, amount_refunded: 1000, refunded: true };

function refunded(previous: Record<string, unknown> = { amount_refunded: 0, refunded: false }): StoredEvent {
  const payload = { id: 'evt_1', object: 'event', created: 1_700_000_100, type: 'charge.refunded', data: { object: after, previous_attributes: previous } };
  return { provider: 'stripe', id: 'evt_1', type: 'charge.refunded', occurredAt: 1_700_000_100_000, payload, tenantId: 't', receivedAt: 0 };
}
const updates = (event: StoredEvent) => stripeEventMapping.effectsOf(event).filter((effect): effect is Extract<Effect, { kind: 'update' }> => effect.kind === 'update');

describe('Stripe event effects', () => {
  it('replaces a cached charge that is exactly the state before the event, in the charge and in its customer\'s page', () => {
    const [charge, page] = updates(refunded());
    expect(charge!.decide(before, 'fresh')).toEqual({ replace: after });
    expect(page!.decide({ charges: [before], hasMore: false }, 'stale')).toEqual({ replace: { charges: [after], hasMore: false } });
    expect(stripeEventMapping.effectsOf(refunded())).toContainEqual({ kind: 'publish', topic: 'payment', key: 'cus_1', entityId: 'ch_1' });
  });

  it('keeps a charge that already shows the event, and drops one it cannot order (another change in between)', () => {
    const [charge, page] = updates(refunded());
    expect(charge!.decide(after, 'fresh')).toBe('current');
    expect(charge!.decide({ ...before, description: 'changed since' }, 'fresh')).toBe('unknown');
    expect(charge!.decide(null, 'fresh')).toBe('unknown');
    expect(page!.decide({ charges: [], hasMore: false }, 'fresh')).toBe('unknown'); // a charge the page lacks: new
  });
});
