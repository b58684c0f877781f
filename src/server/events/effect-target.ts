import type { ProviderName } from '../../errors.ts';
import type { EffectTarget } from '../../events/dispatcher.ts';
import type { ResourceName } from '../../upstream/cache/cache-policy.ts';
import { createOperationContext, type OperationContext } from '../operation-context.ts';
import type { TenantStack } from '../upstream-stack.ts';
import type { Change } from '../../events/change.ts';

/**
 * How an event's refresh reads an entity again: through the same loaders as a query, so the
 * read is cached, counted and limited like any other. Only resources whose events are thin (an
 * id and a version, no state) need one: today the customer service's.
 */
const REFRESHERS: Partial<Record<ResourceName, (context: OperationContext, id: string) => Promise<unknown>>> = {
  'customers.customer': (context, id) => context.customers.byId.load(id),
};

export interface EffectTargetOptions {
  tenants: ReadonlyMap<string, TenantStack>;
  deadlineMs: number;
  /** Every instance, this one included: drop in-process copies of `keys`, then tell subscribers. */
  announce(keys: readonly string[], changes: readonly Change[]): Promise<void>;
}

/** Effects land in the event's own tenant's cache view, which no other tenant's keys share. */
export function createEffectTarget({ tenants, deadlineMs, announce }: EffectTargetOptions): EffectTarget {
  const servicesOf = (tenantId: string) => {
    const tenant = tenants.get(tenantId);
    // The receiver only stores events of configured tenants; one removed since is dropped.
    if (!tenant) throw new Error(`no tenant ${tenantId}`);
    return tenant.services;
  };
  const cacheOf = (tenantId: string, provider: ProviderName) => servicesOf(tenantId)[provider].cache;
  return {
    update: async (tenantId, provider, effect) => {
      const cache = cacheOf(tenantId, provider);
      // An entry to be read again is kept until then (see EntityCache.apply).
      const outcome = await cache.apply(effect.resource, effect.id, effect.decide, effect.refresh === true);
      return { outcome, key: cache.keyOf(effect.resource, effect.id) };
    },
    invalidate: async (tenantId, provider, resource, id) => {
      const cache = cacheOf(tenantId, provider);
      await cache.invalidate(resource, id);
      return cache.keyOf(resource, id);
    },
    refresh: async (tenantId, _provider, resource, id) => {
      const refresher = REFRESHERS[resource];
      if (!refresher) return;
      const context = createOperationContext({
        services: servicesOf(tenantId),
        principal: { kind: 'system', clientId: 'events', tenantId, scopes: new Set() },
        deadlineMs,
        revalidate: true,
      });
      await refresher(context, id);
    },
    announce,
  };
}
