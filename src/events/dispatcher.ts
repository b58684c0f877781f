import type { ProviderName } from '../errors.ts';
import type { ResourceName } from '../upstream/cache/cache-policy.ts';
import type { ApplyOutcome } from '../upstream/cache/entity-cache.ts';
import type { Change } from './change.ts';
import type { Effect, EventMapping } from './effects.ts';
import { eventKey, type StoredEvent } from './event.ts';
import type { EventHandler } from './event-log.ts';

type UpdateEffect = Extract<Effect, { kind: 'update' }>;

/** Refreshes owed by failed attempts remembered at most; past it the oldest are forgotten (see below). */
const MAX_OWED_REFRESHES = 10_000;

/** Where effects land for one tenant and provider: its cache view, its loaders, the other instances. */
export interface EffectTarget {
  /** Applies one update to this tenant's cache; returns the outcome and the store key it touched. */
  update(tenantId: string, provider: ProviderName, effect: UpdateEffect): Promise<{ outcome: ApplyOutcome; key: string }>;
  invalidate(tenantId: string, provider: ProviderName, resource: ResourceName, id: string): Promise<string>;
  /** Reads the entity again through the provider (one call), filling the cache. Rejects when the provider fails. */
  refresh(tenantId: string, provider: ProviderName, resource: ResourceName, id: string): Promise<void>;
  /**
   * Tells every instance (this one included) what changed: other instances drop their in-process
   * copies of `keys` before their subscribers hear of `changes`; everyone's result cache empties.
   */
  announce(keys: readonly string[], changes: readonly Change[]): Promise<void>;
}

export interface DispatchCounters {
  /** Counted per effect outcome, e.g. `applied`, `invalidated`, `current`, `refreshed`, `published`. */
  effect(provider: ProviderName, outcome: string): void;
}

/**
 * Routes a stored event to its provider's mapping and carries out the effects. Every effect is
 * idempotent (an update compares versions, an invalidation drops what may already be gone), so
 * the log may hand the same event over again after a crash; a failed refresh rejects, and the
 * log retries the whole event.
 */
export function createEventHandler(mappings: readonly EventMapping[], target: EffectTarget, counters?: DispatchCounters): EventHandler {
  const byProvider = new Map(mappings.map((mapping) => [mapping.provider, mapping]));
  // A failed refresh drops its entry, so the retry finds it `absent`, which alone looks like an
  // entity nobody cached (and nobody needs read). Without this the retry would succeed without
  // reading, and a refresh failing every time would never be retried nor dead-lettered. In
  // process only: a retry taken over by another instance skips the read (the next query reads).
  const owedRefreshes = new Set<string>();
  return async (event: StoredEvent) => {
    const mapping = byProvider.get(event.provider);
    if (!mapping) return;
    const { tenantId, provider } = event;
    const keys: string[] = [];
    const changes: Change[] = [];
    for (const effect of mapping.effectsOf(event)) {
      switch (effect.kind) {
        case 'update': {
          const { outcome, key } = await target.update(tenantId, provider, effect);
          keys.push(key);
          counters?.effect(provider, outcome);
          const debt = `${eventKey(event)}\n${effect.resource}\n${effect.id}`;
          if (effect.refresh && (outcome === 'unordered' || (outcome === 'absent' && owedRefreshes.has(debt)))) {
            try {
              await target.refresh(tenantId, provider, effect.resource, effect.id);
            } catch (error) {
              // Not read again: the old copy must not be served as fresh meanwhile, and the retry
              // owes the read (it will find the entry absent, which alone means "nobody cached it").
              owedRefreshes.add(debt);
              if (owedRefreshes.size > MAX_OWED_REFRESHES) owedRefreshes.delete(owedRefreshes.values().next().value!);
              await target.invalidate(tenantId, provider, effect.resource, effect.id).catch(() => undefined);
              throw error;
            }
            owedRefreshes.delete(debt);
            counters?.effect(provider, 'refreshed');
          }
          break;
        }
        case 'invalidate':
          keys.push(await target.invalidate(tenantId, provider, effect.resource, effect.id));
          counters?.effect(provider, 'invalidated');
          break;
        case 'publish':
          changes.push({
            tenantId,
            topic: effect.topic,
            key: effect.key,
            occurredAt: event.occurredAt,
            ...(effect.entityId === undefined ? {} : { entityId: effect.entityId }),
            ...(effect.deleted ? { deleted: true } : {}),
          });
          break;
      }
    }
    if (keys.length > 0 || changes.length > 0) await target.announce(keys, changes);
    for (const _ of changes) counters?.effect(provider, 'published');
  };
}
