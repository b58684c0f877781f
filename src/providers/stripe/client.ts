import type { PaymentModel } from '../../model/types.ts';
import type { UpstreamClient } from '../../upstream/upstream-client.ts';
import type { UpstreamReport } from '../../upstream/upstream-report.ts';
import { parseWire } from '../../upstream/wire-validation.ts';
import { toPayment } from './mapper.ts';
import { wireCharge, wireChargeList, wireError } from './wire.ts';

/** Stripe's largest list page (https://docs.stripe.com/api/pagination). */
export const STRIPE_MAX_PAGE = 100;

export interface ChargePage {
  payments: PaymentModel[];
  hasMore: boolean;
}

export class StripeClient {
  constructor(private readonly upstream: UpstreamClient) {}

  /** One page of a customer's charges, newest first. */
  async listCharges(customer: string, startingAfter: string | undefined, report: UpstreamReport): Promise<ChargePage> {
    const response = await this.upstream.request({
      method: 'GET',
      path: '/v1/charges',
      query: { customer, limit: STRIPE_MAX_PAGE, starting_after: startingAfter },
      expect: [404],
      report,
    });
    // A dangling Stripe ref: Stripe answers 404 resource_missing for an unknown customer filter.
    if (response.status === 404) return { payments: [], hasMore: false };
    const list = parseWire('stripe', wireChargeList, response.body, 'charge list');
    return { payments: list.data.map(toPayment), hasMore: list.has_more };
  }

  async getCharge(id: string, report: UpstreamReport): Promise<PaymentModel | null> {
    const response = await this.upstream.request({ method: 'GET', path: `/v1/charges/${encodeURIComponent(id)}`, expect: [404], report });
    if (response.status === 404) {
      parseWire('stripe', wireError, response.body, 'error body');
      return null;
    }
    return toPayment(parseWire('stripe', wireCharge, response.body, 'charge'));
  }
}
