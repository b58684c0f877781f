import { describe, expect, it } from 'vitest';
import type { Effect } from '../../../src/events/effects.ts';
import type { StoredEvent } from '../../../src/events/event.ts';
import { customersEventMapping } from '../../../src/providers/customers/index.ts';

const cached = { id: 'c1', email: 'a@example.com', name: 'A', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-11-01T10:00:00.000Z', externalRefs: { stripe: null, hubspot: null }, version: 4, etag: '"v4"' };

function updated(data: Record<string, unknown>): StoredEvent {
  const payload = { type: 'customer.updated', timestamp: '2026-11-01T10:00:05.000Z', data: { id: 'c1', ...data } };
  return { provider: 'customers', id: 'msg_1', type: 'customer.updated', occurredAt: 0, payload, tenantId: 't', receivedAt: 0 };
}
const update = (event: StoredEvent) => customersEventMapping.effectsOf(event).find((effect): effect is Extract<Effect, { kind: 'update' }> => effect.kind === 'update')!;

describe('customer service event effects', () => {
  it('reads a customer again when the event names a newer version, and not when the cache already has it or a newer one', () => {
    expect(update(updated({ version: 5, etag: '"v5"' }))).toMatchObject({ refresh: true });
    expect(update(updated({ version: 5, etag: '"v5"' })).decide(cached, 'fresh')).toBe('unknown');
    expect(update(updated({ version: 4, etag: '"v4"' })).decide(cached, 'fresh')).toBe('current');
    expect(update(updated({ version: 3, etag: '"v3"' })).decide(cached, 'fresh')).toBe('current'); // a late event
    expect(update(updated({ etag: '"v4"' })).decide(cached, 'fresh')).toBe('current');
  });

  it('forgets a deleted customer and tells its subscribers', () => {
    const deleted: StoredEvent = { ...updated({}), type: 'customer.deleted', payload: { type: 'customer.deleted', timestamp: '2026-11-01T10:00:05.000Z', data: { id: 'c1' } } };
    const effects = customersEventMapping.effectsOf(deleted);
    expect((effects[0] as Extract<Effect, { kind: 'update' }>).decide(cached, 'fresh')).toEqual({ replace: null });
    expect(effects[1]).toEqual({ kind: 'publish', topic: 'customer', key: 'c1', deleted: true });
  });
});
