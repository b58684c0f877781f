import DataLoader from 'dataloader';
import type { PaymentModel } from '../../model/types.ts';
import { loadEach } from '../../upstream/load-each.ts';
import type { UpstreamReport } from '../../upstream/upstream-report.ts';
import type { ChargePage, StripeClient } from './client.ts';

/**
 * Stripe has no batch read by id. We list per customer (`GET /v1/charges?customer=…&limit=100`):
 * one call per customer, strongly consistent, and each page fills `chargeById` too. The other
 * choice, Search with OR'ed `customer:` clauses, needs fewer calls but is eventually consistent
 * (a new charge can be missing for up to a minute) and has a lower limit (20 req/s); see
 * docs/mapping.md.
 */
export interface StripeLoaders {
  /** Key: `<stripe customer id>` or `<stripe customer id> <starting_after charge id>`. */
  chargePage: DataLoader<string, ChargePage>;
  chargeById: DataLoader<string, PaymentModel | null>;
}

export function createStripeLoaders(client: StripeClient, report: UpstreamReport): StripeLoaders {
  const chargeById = new DataLoader<string, PaymentModel | null>((ids) => loadEach(ids, (id) => client.getCharge(id, report)));
  const chargePage = new DataLoader<string, ChargePage>((keys) =>
    loadEach(keys, async (key) => {
      const [customer = '', startingAfter] = key.split(' ');
      const page = await client.listCharges(customer, startingAfter, report);
      for (const payment of page.payments) chargeById.prime(payment.id, payment);
      return page;
    }),
  );
  return { chargePage, chargeById };
}
