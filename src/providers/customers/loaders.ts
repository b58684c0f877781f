import DataLoader from 'dataloader';
import type { CustomerModel } from '../../model/types.ts';
import { loadEach } from '../../upstream/load-each.ts';
import type { UpstreamReport } from '../../upstream/upstream-report.ts';
import { CUSTOMERS_BATCH_SIZE, type CustomersClient } from './client.ts';

/** Per-request loaders: they batch and deduplicate within one GraphQL operation only. */
export interface CustomerLoaders {
  byId: DataLoader<string, CustomerModel | null>;
  byStripeRef: DataLoader<string, CustomerModel | null>;
}

export function createCustomerLoaders(client: CustomersClient, report: UpstreamReport): CustomerLoaders {
  const byId = new DataLoader<string, CustomerModel | null>(
    async (ids) => {
      const found = await client.batchGet(ids, report);
      return ids.map((id) => found.get(id) ?? null);
    },
    { maxBatchSize: CUSTOMERS_BATCH_SIZE },
  );
  // The service has no batch lookup by external ref; one filtered list call per Stripe customer,
  // needed only when a payment is reached without its customer (Query.payment, Query.node).
  const byStripeRef = new DataLoader<string, CustomerModel | null>((refs) =>
    loadEach(refs, async (stripeRef) => {
      const page = await client.list({ limit: 1, stripeRef }, report);
      const customer = page.customers[0] ?? null;
      if (customer) byId.prime(customer.id, customer);
      return customer;
    }),
  );
  return { byId, byStripeRef };
}
