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

/**
 * A list page as cached: the ids on it, in order. Its records are entities of their own, stored
 * by the same fetch; keeping them here too held a copy of every record once per page it appears
 * on (W3's 951 overlapping pages: 47,550 records, a third of the warm heap).
 */
interface CachedPage {
  ids: string[];
  hasMore: boolean;
  /** The records, in the answer of the fetch that read the page only (never kept). */
  records?: WireCustomer[];
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
   * A list page is cached as its ids under its parameters, with the page's ETag; its records
   * are stored as entities by the same fetch. The service changes a page's ETag whenever a
   * record on it changes, so a 304 for the page revalidates the records on it still cached: they
   * are stored again as fresh entities. A record no longer cached is read by id.
   */
  const page = async (params: ListCustomersParams): Promise<CustomerPage> => {
    const key = pageKey(params);
    const found = await cache.load<CachedPage>(
      'customers.page',
      [key],
      async (_ids, known, callCtx) => {
        const cached = known.get(key);
        const answer = await client.list(params, cached?.etag, callCtx);
        if (answer.status === 'not-modified') {
          const records = (await cache.peek<WireCustomer>('customers.customer', cached?.value?.ids ?? [])).filter((record) => record != null);
          // The page's records were not sent again either.
          if (records.length > 0) callCtx.report.recordBytesSaved('customers', Buffer.byteLength(JSON.stringify(records)));
          return { found: new Map(), notModified: new Map([[key, answer.etag ? { etag: answer.etag } : {}]]), related: records.map(asRelated) };
        }
        const stored = { ids: answer.customers.map((wire) => wire.id), hasMore: answer.hasMore };
        // Readers of this fetch get the records as read (with no cache, or the cache refusing the
        // records' writes, that is all there is); the cache keeps the ids.
        const value = { ...stored, records: answer.customers };
        return { found: new Map([[key, { value, stored, ...(answer.etag ? { etag: answer.etag } : {}) }]]), related: answer.customers.map(asRelated) };
      },
      call,
    );
    const outcome = found.get(key);
    if (outcome instanceof Error) throw outcome;
    const ids = outcome?.ids ?? [];
    // Each record as its entity holds it: the page's own copy, or newer (events keep entities
    // exact), so lists agree with customer(id:); a deleted one (a cached absence) is left out.
    const peeked = await cache.peek<WireCustomer>('customers.customer', ids);
    const read = outcome?.records;
    const entities = read ? peeked.map((entity, index) => newer(entity, read[index]!)) : peeked;
    const missing = ids.filter((_id, index) => entities[index] === undefined);
    const reloaded = new Map<string, CustomerModel | null | Error>();
    if (missing.length > 0) (await byId.loadMany(missing)).forEach((customer, index) => reloaded.set(missing[index]!, customer));
    const customers: CustomerModel[] = [];
    ids.forEach((id, index) => {
      const entity = entities[index];
      const customer = entity === undefined ? reloaded.get(id) : entity && toCustomer(entity);
      if (customer instanceof Error) throw customer;
      if (!customer) return;
      // A record whose newer copy no longer has the page's email was changed since the page
      // was read: it is not on that page any more.
      if (params.email !== undefined && customer.email.toLowerCase() !== params.email.toLowerCase()) return;
      customers.push(customer);
    });
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

/** The entity's copy when it is newer than the page's (or the customer is gone), else the page's. */
function newer(entity: WireCustomer | null | undefined, record: WireCustomer): WireCustomer | null {
  if (entity === null) return null;
  return entity !== undefined && entity.version > record.version ? entity : record;
}

function asRelated(wire: WireCustomer) {
  return { resource: 'customers.customer' as const, id: wire.id, entity: { value: wire, ...(wire.etag ? { etag: wire.etag } : {}) } };
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
