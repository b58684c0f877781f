import type { Effect, EventMapping } from '../../events/effects.ts';
import type { StoredEvent } from '../../events/event.ts';
import type { Freshness } from '../../upstream/cache/cache-entry.ts';
import type { EventDecision } from '../../upstream/cache/entity-cache.ts';
import { hubspotEventOf, type HubSpotWebhookEvent } from './webhook-wire.ts';
import type { WireObject } from './wire.ts';

/**
 * HubSpot events are thin: one property's new value, or a deletion, with `occurredAt` on
 * HubSpot's clock, the same clock as the object's `updatedAt`. So an event older than (or as old
 * as) the fetched object is already in it, and a newer one can be applied: a property change
 * patches the one property it names. Events arrive in any order, so a patch records when each
 * property last changed (`changedAt`) and leaves the fetched `updatedAt` alone (`fetchedAt`):
 * an older change to the same property is then refused, while a late change to another one still
 * applies. Only a fresh entry is patched, and it keeps its age (the other properties are as old as
 * they were), so the time to live still bounds what no event covers.
 */
export const hubspotEventMapping: EventMapping = {
  provider: 'hubspot',
  effectsOf(stored: StoredEvent): Effect[] {
    const event = hubspotEventOf(stored.payload);
    if (!event) return [];
    const [object, change] = event.subscriptionType.split('.');
    if (object === 'contact' || object === 'deal') {
      if (change === 'propertyChange' || change === 'deletion') return objectEffects(object, event);
      if (change === 'associationChange') return associationEffects(event);
    }
    return []; // creations: nothing cached refers to a new object yet (see docs/mapping.md)
  },
};

function objectEffects(object: 'contact' | 'deal', event: HubSpotWebhookEvent): Effect[] {
  if (event.objectId === undefined) return [];
  const id = String(event.objectId);
  const deleted = event.subscriptionType.endsWith('.deletion');
  const resource = object === 'contact' ? 'hubspot.contact' : 'hubspot.deal';
  const effects: Effect[] = [{ kind: 'update', resource, id, decide: (cached, freshness) => decide(cached as PatchedObject | null, freshness, event, deleted) }];
  // An email is also a lookup key: the new address may have been cached as "no contact".
  if (object === 'contact' && event.propertyName === 'email' && event.propertyValue) {
    effects.push({ kind: 'invalidate', resource: 'hubspot.contactByEmail', id: event.propertyValue.toLowerCase() });
  }
  effects.push({ kind: 'publish', topic: object === 'contact' ? 'crmContact' : 'deal', key: id, ...(deleted ? { deleted: true } : {}) });
  return effects;
}

/** A cached object some events were applied to. */
type PatchedObject = WireObject & {
  /** `updatedAt` as fetched: what the fetched properties are as of. */
  fetchedAt?: string;
  /** When each patched property last changed (HubSpot's clock, ms). */
  changedAt?: Record<string, number>;
};

function decide(cached: PatchedObject | null, freshness: Freshness, event: HubSpotWebhookEvent, deleted: boolean): EventDecision<PatchedObject | null> {
  if (cached === null) return deleted ? 'current' : 'unknown';
  const fetchedAt = cached.fetchedAt ?? cached.updatedAt;
  if (event.occurredAt <= Date.parse(fetchedAt)) return 'current';
  if (deleted) return { replace: null };
  const { propertyName, propertyValue } = event;
  // An email change moves the contact between lookup keys: read it again whole.
  if (propertyName === undefined || propertyName === 'email' || freshness !== 'fresh') return 'unknown';
  if (event.occurredAt <= (cached.changedAt?.[propertyName] ?? Number.NEGATIVE_INFINITY)) return 'current';
  const properties = Object.hasOwn(cached.properties, propertyName) ? { ...cached.properties, [propertyName]: propertyValue ?? null } : cached.properties;
  const updatedAt = new Date(Math.max(Date.parse(cached.updatedAt), event.occurredAt)).toISOString();
  return { replace: { ...cached, properties, updatedAt, fetchedAt, changedAt: { ...cached.changedAt, [propertyName]: event.occurredAt } }, keepAge: true };
}

/** A contact gained or lost a deal: its list of deal ids is read again, and the deal's listeners told. */
function associationEffects(event: HubSpotWebhookEvent): Effect[] {
  const type = event.associationType ?? '';
  const from = String(event.fromObjectId);
  const to = String(event.toObjectId);
  const ends = type.startsWith('CONTACT_TO_DEAL') ? { contact: from, deal: to } : type.startsWith('DEAL_TO_CONTACT') ? { contact: to, deal: from } : undefined;
  if (!ends) return [];
  return [
    { kind: 'invalidate', resource: 'hubspot.dealIds', id: ends.contact },
    { kind: 'publish', topic: 'deal', key: ends.deal },
  ];
}
