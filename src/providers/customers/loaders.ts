import DataLoader from 'dataloader';
import { mapOrBadResponse } from '../../errors.ts';
import type { CustomerModel } from '../../model/types.ts';
import type { ProviderCache } from '../../upstream/cache/entity-cache.ts';
import type { CallContext } from '../../upstream/call-context.ts';
import { CUSTOMERS_BATCH_SIZE, type CustomersClient, type ListCustomersParams } from './client.ts';
import { toCustomer } from './mapper.ts';
import type { WireCustomer } from './wire.ts';

export interface CustomerPage {
  customers: CustomerModel[];
  hasMore: boolean;
}

/** Per-request loaders: they batch and deduplicate within one GraphQL operation only. */
export interface CustomerLoaders {
  byId: DataLoader<string, CustomerModel | null>;
  byStripeRef: DataLoader<string, CustomerModel | null>;
  page(params: ListCustomersParams): Promise<CustomerPage>;
  /**
   * Stores a record the service just answered a write with, as the freshest copy (whatever is
   * cached), so the next read, a list's included, shows the change without a call.
   */
  remember(customer: WireCustomer): Promise<void>;
  /** Reads a customer from the service whatever the cache holds (conditionally), and caches it. */
  reload(id: string): Promise<CustomerModel | null>;
}

interface CachedPage {
  customers: WireCustomer[];
  hasMore: boolean;
}

export function createCustomerLoaders(client: CustomersClient, cache: ProviderCache, call: CallContext): CustomerLoaders {
  const byId = new DataLoader<string, CustomerModel | null>(
    async (ids) => {
      const found = await cache.load<WireCustomer>(
        'customers.customer',
        ids,
        async (missing, known, callCtx) => {
          const etags = new Map([...known].flatMap(([id, entry]) => (entry.etag ? [[id, entry.etag] as const] : [])));
          const answer = await client.batchGet(missing, etags, callCtx);
          return {
            found: new Map(answer.customers.map((wire) => [wire.id, { value: wire, ...(wire.etag ? { etag: wire.etag } : {}) }])),
            notModified: new Map(answer.notModified.map(({ id, etag }) => [id, etag === undefined ? {} : { etag }])),
          };
        },
        call,
      );
      return ids.map((id) => mapOutcome(found.get(id)));
    },
    { maxBatchSize: CUSTOMERS_BATCH_SIZE },
  );

  /**
   * A list page is cached whole (records included) under its parameters, with the page's ETag.
   * The service changes a page's ETag whenever a record on it changes, so a 304 for the page
   * revalidates every record on it too: they are stored again as fresh entities.
   */
  const page = async (params: ListCustomersParams): Promise<CustomerPage> => {
    const key = pageKey(params);
    const found = await cache.load<CachedPage>(
      'customers.page',
      [key],
      async (_ids, known, callCtx) => {
        const cached = known.get(key);
        const answer = await client.list(params, cached?.etag, callCtx);
        const records = answer.status === 'ok' ? await interned(cache, answer.customers) : (cached?.value?.customers ?? []);
        const related = records.map((wire) => ({
          resource: 'customers.customer' as const,
          id: wire.id,
          entity: { value: wire, ...(wire.etag ? { etag: wire.etag } : {}) },
        }));
        if (answer.status === 'not-modified') return { found: new Map(), notModified: new Map([[key, answer.etag ? { etag: answer.etag } : {}]]), related };
        const value = { customers: records, hasMore: answer.hasMore };
        return { found: new Map([[key, { value, ...(answer.etag ? { etag: answer.etag } : {}) }]]), related };
      },
      call,
    );
    const outcome = found.get(key);
    if (outcome instanceof Error) throw outcome;
    let newest = await newestRecords(cache, outcome?.customers ?? []);
    // A record whose newer copy no longer has the page's email (it was changed since the page
    // was read) is not on that page any more.
    if (params.email !== undefined) newest = newest.filter((record) => record.email.toLowerCase() === params.email!.toLowerCase());
    const customers = newest.map(toCustomer);
    for (const customer of customers) byId.prime(customer.id, customer);
    return { customers, hasMore: outcome?.hasMore ?? false };
  };

  // The service has no batch lookup by external ref; one filtered list call per Stripe customer,
  // needed only when a payment is reached without its customer (Query.payment, Query.node).
  const byStripeRef = new DataLoader<string, CustomerModel | null>((refs) =>
    Promise.all(refs.map((stripeRef) => page({ limit: 1, stripeRef }).then((p) => p.customers[0] ?? null, (error: Error) => error))),
  );
  const remember = async (customer: WireCustomer) => {
    // A revalidating load supersedes whatever the cache holds; its fetch is the answer in hand.
    await cache.load<WireCustomer>('customers.customer', [customer.id], async () => ({ found: new Map([[customer.id, { value: customer, ...(customer.etag ? { etag: customer.etag } : {}) }]]) }), call.revalidating());
    byId.clear(customer.id).prime(customer.id, toCustomer(customer));
  };
  const reload = async (id: string) => {
    const customer = await createCustomerLoaders(client, cache, call.revalidating()).byId.load(id);
    byId.clear(id);
    if (customer) byId.prime(id, customer);
    return customer;
  };
  return { byId, byStripeRef, page, remember, reload };
}

/**
 * The page's records, each replaced by the object the cache already holds for it when that one
 * is the same version (same ETag). Pages overlap: every page fetch parses its own copy of each
 * record, and W3's 951 pages over 1,000 customers kept 47,550 copies, a third of the warm heap.
 * Shared, the pages hold references to one object per record (and the models mapped from them,
 * model/mapped-once.ts, are shared too); each page still keeps its records for stale-if-error.
 * A shared store (Redis) hands out fresh copies anyway: nothing to share there.
 */
async function interned(cache: ProviderCache, records: WireCustomer[]): Promise<WireCustomer[]> {
  const cached = await cache.peek<WireCustomer>('customers.customer', records.map((record) => record.id));
  return records.map((record, index) => {
    const entity = cached[index];
    return entity != null && entity.version === record.version && entity.etag === record.etag ? entity : record;
  });
}

/**
 * A cached page keeps its records as they were when it was read, but each record is also an
 * entity of its own, which events keep exact (a customer.updated refreshes it): the newer of
 * the two is answered, by `version`, so a list agrees with `customer(id)` at once instead of when
 * the page expires. A cached absence carries no version (it may predate the record), so a
 * deleted customer leaves lists only with the page.
 */
async function newestRecords(cache: ProviderCache, records: readonly WireCustomer[]): Promise<WireCustomer[]> {
  const entities = await cache.peek<WireCustomer>('customers.customer', records.map((record) => record.id));
  return records.map((record, index) => {
    const entity = entities[index];
    return entity != null && entity.version > record.version ? entity : record;
  });
}

function mapOutcome(outcome: WireCustomer | null | Error | undefined): CustomerModel | null | Error {
  if (outcome instanceof Error) return outcome;
  return outcome ? mapOrBadResponse('customers', outcome, toCustomer) : null;
}

function pageKey(params: ListCustomersParams): string {
  const parts: Array<[string, string]> = [['limit', String(params.limit)]];
  if (params.startingAfter !== undefined) parts.push(['after', params.startingAfter]);
  if (params.email !== undefined) parts.push(['email', params.email.toLowerCase()]);
  if (params.stripeRef !== undefined) parts.push(['stripeRef', params.stripeRef]);
  return new URLSearchParams(parts).toString();
}
