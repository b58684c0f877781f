import type { ProviderName } from '../errors.ts';
import type { Freshness } from '../upstream/cache/cache-entry.ts';
import type { EventDecision } from '../upstream/cache/entity-cache.ts';
import type { ResourceName } from '../upstream/cache/cache-policy.ts';
import type { ChangeTopic } from './change.ts';
import type { StoredEvent } from './event.ts';

/**
 * What one event does, as its provider's mapping says, in order. Cache effects come first and
 * `publish` last, so a subscriber reading the entity reads the state after the event.
 */
export type Effect =
  /**
   * Apply the event to the cached entity (see EntityCache.apply); what cannot be applied is
   * dropped, and with `refresh` read again at once (one call), so the next read costs none.
   */
  | { kind: 'update'; resource: ResourceName; id: string; decide: (cached: unknown, freshness: Freshness) => EventDecision<unknown>; refresh?: boolean }
  | { kind: 'invalidate'; resource: ResourceName; id: string }
  | { kind: 'publish'; topic: ChangeTopic; key: string; entityId?: string; deleted?: boolean };

/** A provider's event mapping: which entities an event changes, and how. */
export interface EventMapping {
  readonly provider: ProviderName;
  /** Never throws for a verified event of a type it does not know: that is no effects. */
  effectsOf(event: StoredEvent): Effect[];
}
