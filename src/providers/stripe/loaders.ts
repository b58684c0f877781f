import DataLoader from 'dataloader';
import { mapOrBadResponse } from '../../errors.ts';
import type { PaymentModel } from '../../model/types.ts';
import type { FetchedEntity, ProviderCache } from '../../upstream/cache/entity-cache.ts';
import { loadEach } from '../../upstream/load-each.ts';
import type { CallContext } from '../../upstream/call-context.ts';
import type { StripeClient, WireChargePage } from './client.ts';
import { toPayment } from './mapper.ts';
import type { WireCharge } from './wire.ts';

export interface ChargePage {
  payments: PaymentModel[];
  hasMore: boolean;
}

/**
 * Stripe has no batch read by id. We list per customer (`GET /v1/charges?customer=…&limit=100`):
 * one call per customer, strongly consistent, and each page fills the charge-by-id cache too. The
 * other choice, Search with OR'ed `customer:` clauses, needs fewer calls but is eventually
 * consistent (a new charge can be missing for up to a minute) and has a lower limit (20 req/s);
 * see docs/mapping.md.
 */
export interface StripeLoaders {
  /** Key: `<stripe customer id>` or `<stripe customer id> <starting_after charge id>`. */
  chargePage: DataLoader<string, ChargePage>;
  chargeById: DataLoader<string, PaymentModel | null>;
}

export function createStripeLoaders(client: StripeClient, cache: ProviderCache, call: CallContext): StripeLoaders {
  const chargeById = new DataLoader<string, PaymentModel | null>(async (ids) => {
    const found = await cache.load<WireCharge>(
      'stripe.charge',
      ids,
      async (missing, _known, callCtx) => ({ found: settled(missing, await loadEach(missing, (id) => client.getCharge(id, callCtx))) }),
      call,
    );
    return ids.map((id) => {
      const outcome = found.get(id);
      return outcome instanceof Error ? outcome : outcome ? mapOrBadResponse('stripe', outcome, toPayment) : null;
    });
  });
  const chargePage = new DataLoader<string, ChargePage>(async (keys) => {
    const found = await cache.load<WireChargePage>(
      'stripe.charges',
      keys,
      async (missing, _known, callCtx) => {
        const pages = await loadEach(missing, (key) => {
          const [customer = '', startingAfter] = key.split(' ');
          return client.listCharges(customer, startingAfter, callCtx);
        });
        const charges = pages.flatMap((page) => (page instanceof Error ? [] : page.charges));
        return { found: settled(missing, pages), related: charges.map((charge) => ({ resource: 'stripe.charge' as const, id: charge.id, entity: { value: charge } })) };
      },
      call,
    );
    return keys.map((key) => {
      const outcome = found.get(key);
      if (outcome instanceof Error) return outcome;
      const payments = mapOrBadResponse('stripe', outcome?.charges ?? [], (charges) => charges.map(toPayment));
      if (payments instanceof Error) return payments;
      const page = { payments, hasMore: outcome?.hasMore ?? false };
      for (const payment of page.payments) chargeById.prime(payment.id, payment);
      return page;
    });
  });
  return { chargePage, chargeById };
}

function settled<V>(ids: readonly string[], outcomes: ReadonlyArray<V | null | Error>): Map<string, FetchedEntity<V> | Error> {
  return new Map(ids.map((id, index) => {
    const outcome = outcomes[index] ?? null;
    return [id, outcome instanceof Error ? outcome : { value: outcome }];
  }));
}
