import type { StoredEvent } from './event.ts';

/** How a StoredEvent is kept in one stream field. */
export function encodeStoredEvent(event: StoredEvent): string {
  const { tenantId, provider, id, type, occurredAt, receivedAt, payload } = event;
  return JSON.stringify({ tenantId, provider, id, type, occurredAt, receivedAt, payload });
}

/** Undefined for anything that is not an event this log wrote (a hand-made entry, a newer format). */
export function decodeStoredEvent(text: string | undefined): StoredEvent | undefined {
  if (text === undefined) return undefined;
  let value: Partial<Record<keyof StoredEvent, unknown>>;
  try {
    value = JSON.parse(text) as Partial<Record<keyof StoredEvent, unknown>>;
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { tenantId, provider, id, type, occurredAt, receivedAt, payload } = value;
  if (typeof tenantId !== 'string' || typeof provider !== 'string' || typeof id !== 'string' || typeof type !== 'string') return undefined;
  if (typeof occurredAt !== 'number' || typeof receivedAt !== 'number') return undefined;
  // The provider name was checked when the event was verified; the log stores what it was given.
  return { tenantId, provider: provider as StoredEvent['provider'], id, type, occurredAt, receivedAt, payload };
}
