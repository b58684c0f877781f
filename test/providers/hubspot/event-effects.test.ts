import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../src/events/event.ts';
import type { Effect } from '../../../src/events/effects.ts';
import { hubspotEventMapping } from '../../../src/providers/hubspot/index.ts';

const T0 = Date.parse('2026-11-01T10:00:00.000Z');
const contact = { id: '1001', properties: { email: 'ada@example.com', lifecyclestage: 'lead', firstname: 'Ada' }, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: new Date(T0).toISOString() };

function change(propertyName: string, propertyValue: string, occurredAt: number, eventId = occurredAt): StoredEvent {
  const payload = { eventId, subscriptionId: 1, portalId: 2, appId: 3, occurredAt, subscriptionType: 'contact.propertyChange', attemptNumber: 0, objectId: 1001, propertyName, propertyValue };
  return { provider: 'hubspot', id: String(eventId), type: 'contact.propertyChange', occurredAt, payload, tenantId: 't', receivedAt: occurredAt };
}

/** Applies an event's update to `cached` as the entity cache would (fresh entry). */
function applied(cached: unknown, event: StoredEvent): unknown {
  const update = hubspotEventMapping.effectsOf(event).find((effect): effect is Extract<Effect, { kind: 'update' }> => effect.kind === 'update')!;
  const decision = update.decide(cached, 'fresh');
  return typeof decision === 'object' ? decision.replace : decision;
}

describe('HubSpot event effects', () => {
  it('patches the one property a newer change names, keeping the entry\'s age', () => {
    const update = hubspotEventMapping.effectsOf(change('lifecyclestage', 'customer', T0 + 10)).find((effect) => effect.kind === 'update') as Extract<Effect, { kind: 'update' }>;
    const decision = update.decide(contact, 'fresh');
    expect(decision).toMatchObject({ replace: { properties: { lifecyclestage: 'customer', firstname: 'Ada' } }, keepAge: true });
  });

  it('still applies a late change to one property after a newer change to another (unordered delivery)', () => {
    const afterFirstname = applied(contact, change('firstname', 'Anna', T0 + 20));
    const afterLateStage = applied(afterFirstname, change('lifecyclestage', 'customer', T0 + 10));
    expect(afterLateStage).toMatchObject({ properties: { firstname: 'Anna', lifecyclestage: 'customer' } });
  });

  it('refuses an older change to a property a newer event already set, and one older than the fetch', () => {
    const newer = applied(contact, change('lifecyclestage', 'customer', T0 + 20));
    expect(applied(newer, change('lifecyclestage', 'opportunity', T0 + 10))).toBe('current');
    expect(applied(contact, change('lifecyclestage', 'opportunity', T0 - 1))).toBe('current');
  });

  it('drops rather than patches an entry past its time to live, and reads an email change again whole', () => {
    const update = hubspotEventMapping.effectsOf(change('lifecyclestage', 'customer', T0 + 10)).find((effect) => effect.kind === 'update') as Extract<Effect, { kind: 'update' }>;
    expect(update.decide(contact, 'stale-while-revalidate')).toBe('unknown');
    const email = hubspotEventMapping.effectsOf(change('email', 'new@example.com', T0 + 10));
    expect((email.find((effect) => effect.kind === 'update') as Extract<Effect, { kind: 'update' }>).decide(contact, 'fresh')).toBe('unknown');
    expect(email).toContainEqual({ kind: 'invalidate', resource: 'hubspot.contactByEmail', id: 'new@example.com' });
  });
});
