import type { Effect, EventMapping } from '../../events/effects.ts';
import type { StoredEvent } from '../../events/event.ts';
import type { EventDecision } from '../../upstream/cache/entity-cache.ts';
import { customersEventOf } from './webhook-wire.ts';
import type { WireCustomer } from './wire.ts';

/**
 * The customer service's events are thin (Standard Webhooks' recommendation): the customer's id
 * with its new `version`, `etag` and `updatedAt`, no state. A cached customer with that ETag or
 * a higher version is current; an older one is dropped and read again at once (`refresh`: one
 * call), so that subscribers and the next query read the change from the cache.
 */
export const customersEventMapping: EventMapping = {
  provider: 'customers',
  effectsOf(stored: StoredEvent): Effect[] {
    const event = customersEventOf(stored.payload);
    if (!event) return [];
    const { id } = event.data;
    if (event.type === 'customer.deleted') {
      return [
        { kind: 'update', resource: 'customers.customer', id, decide: () => ({ replace: null }) },
        { kind: 'publish', topic: 'customer', key: id, deleted: true },
      ];
    }
    if (event.type !== 'customer.updated' && event.type !== 'customer.created') return [];
    const version = typeof event.data['version'] === 'number' ? event.data['version'] : undefined;
    const etag = typeof event.data['etag'] === 'string' ? event.data['etag'] : undefined;
    const updatedAt = typeof event.data['updatedAt'] === 'string' ? Date.parse(event.data['updatedAt']) : Number.NaN;
    const decide = (cached: unknown): EventDecision<WireCustomer> => {
      const customer = cached as WireCustomer | null;
      if (customer === null) return 'unknown';
      if (etag !== undefined && customer.etag === etag) return 'current';
      if (version !== undefined) return customer.version >= version ? 'current' : 'unknown';
      // Without a version, a cached copy changed after the event's is newer (an event came late).
      if (Date.parse(customer.updatedAt) > updatedAt || (etag === undefined && Date.parse(customer.updatedAt) >= updatedAt)) return 'current';
      return 'unknown';
    };
    return [
      { kind: 'update', resource: 'customers.customer', id, decide, refresh: true },
      { kind: 'publish', topic: 'customer', key: id },
    ];
  },
};
