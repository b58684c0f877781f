import DataLoader from 'dataloader';
import { mapOrBadResponse } from '../../errors.ts';
import type { PaymentModel } from '../../model/types.ts';
import type { FetchedEntity, ProviderCache } from '../../upstream/cache/entity-cache.ts';
import { loadEach } from '../../upstream/load-each.ts';
import { LoaderWithNow } from '../../upstream/loader-now.ts';
import type { CallContext } from '../../upstream/call-context.ts';
import type { StripeClient, WireChargePage } from './client.ts';
import { searchFirstPages } from './charge-search.ts';
import { toPayment } from './mapper.ts';
import type { WireCharge } from './wire.ts';

export interface ChargePage {
  readonly payments: readonly PaymentModel[];
  readonly hasMore: boolean;
}

const EMPTY_PAGE: ChargePage = { payments: [], hasMore: false };

/**
 * A cached wire page's model, made once per wire object like every model (mapped-once.ts), so
 * that what is built from a page (payments.ts keeps its connections) is shared by every answer.
 */
const mappedPages = new WeakMap<WireChargePage, ChargePage>();
function pageOf(wire: WireChargePage): ChargePage | Error {
  let page = mappedPages.get(wire);
  if (page === undefined) {
    const payments = mapOrBadResponse('stripe', wire.charges, (charges) => charges.map(toPayment));
    if (payments instanceof Error) return payments;
    mappedPages.set(wire, (page = { payments, hasMore: wire.hasMore }));
  }
  return page;
}

/**
 * Stripe has no batch read by id. By default we list per customer
 * (`GET /v1/charges?customer=…&limit=100`): one call per customer, strongly consistent, and each
 * page fills the charge-by-id cache too. `STRIPE_CHARGES_READ=search` reads first pages with
 * Search instead (`customer:'a' OR customer:'b'…`, ten per call): a tenth of the calls, but
 * eventually consistent (a charge changed in the last minute may show its old state) and held to
 * 20 requests a second; docs/mapping.md has the measured trade-off.
 */
export interface StripeLoaders {
  /** Key: `<stripe customer id>` or `<stripe customer id> <starting_after charge id>`. */
  chargePage: DataLoader<string, ChargePage>;
  /** The page of `chargePage`'s key when this operation holds it or the cache holds it fresh, with no promise; else undefined. */
  chargePageNow(key: string): ChargePage | undefined;
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
  const chargePages = new LoaderWithNow<ChargePage>(async (keys) => {
    const found = await cache.load<WireChargePage>(
      'stripe.charges',
      keys,
      async (missing, _known, callCtx) => {
        // Search answers first pages only; a cursor key (`<customer> <charge>`) is always a list.
        const searched = client.chargesRead === 'search' ? await searchFirstPages(client, missing.filter((key) => !key.includes(' ')), callCtx) : new Map<string, WireChargePage | Error>();
        const pages = await loadEach(missing, (key) => {
          const fromSearch = searched.get(key);
          if (fromSearch instanceof Error) return Promise.reject(fromSearch);
          if (fromSearch) return Promise.resolve(fromSearch);
          const [customer = '', startingAfter] = key.split(' ');
          return client.listCharges(customer, startingAfter, callCtx);
        });
        // Only a list's charges fill the charge-by-id entries: search's may be up to a minute old
        // and would overwrite a state a strongly consistent read or an event put there.
        const charges = pages.flatMap((page, index) => (page instanceof Error || searched.has(missing[index]!) ? [] : page.charges));
        return { found: settled(missing, pages), related: charges.map((charge) => ({ resource: 'stripe.charge' as const, id: charge.id, entity: { value: charge } })) };
      },
      call,
    );
    return keys.map((key) => {
      const outcome = found.get(key);
      if (outcome instanceof Error) return outcome;
      const page = outcome ? pageOf(outcome) : EMPTY_PAGE;
      if (page instanceof Error) return page;
      for (const payment of page.payments) chargeById.prime(payment.id, payment);
      return page;
    });
  }, (key) => {
    const page = cache.freshNow<WireChargePage, ChargePage>('stripe.charges', key, call, (wire) => {
      const mapped = wire === null ? EMPTY_PAGE : pageOf(wire);
      return mapped instanceof Error ? undefined : mapped;
    });
    if (page) for (const payment of page.payments) chargeById.prime(payment.id, payment);
    return page;
  });
  return { chargePage: chargePages.loader, chargePageNow: (key) => chargePages.now(key), chargeById };
}

function settled<V>(ids: readonly string[], outcomes: ReadonlyArray<V | null | Error>): Map<string, FetchedEntity<V> | Error> {
  return new Map(ids.map((id, index) => {
    const outcome = outcomes[index] ?? null;
    return [id, outcome instanceof Error ? outcome : { value: outcome }];
  }));
}
