import { ErrorCode, UpstreamError } from '../../errors.ts';
import type { UpstreamClient } from '../../upstream/upstream-client.ts';
import type { CallContext } from '../../upstream/call-context.ts';
import { parseWire } from '../../upstream/wire-validation.ts';
import { wireCharge, wireChargeList, wireError, type WireCharge } from './wire.ts';

/** Stripe's largest list page (https://docs.stripe.com/api/pagination). */
export const STRIPE_MAX_PAGE = 100;

export interface WireChargePage {
  charges: WireCharge[];
  hasMore: boolean;
}

export class StripeClient {
  constructor(private readonly upstream: UpstreamClient) {}

  /** One page of a customer's charges, newest first. An unknown (dangling) customer lists nothing. */
  async listCharges(customer: string, startingAfter: string | undefined, call: CallContext): Promise<WireChargePage> {
    const response = await this.upstream.request({
      method: 'GET',
      path: '/v1/charges',
      query: { customer, limit: STRIPE_MAX_PAGE, starting_after: startingAfter },
      expect: [400],
      call,
    });
    if (response.status === 400) {
      // Stripe may answer a filter on a deleted customer with resource_missing on `customer`.
      const { error } = parseWire('stripe', wireError, response.body, 'error body');
      if (error.code === 'resource_missing' && error.param === 'customer') return { charges: [], hasMore: false };
      throw new UpstreamError(ErrorCode.UpstreamRejected, 'stripe', 'Stripe rejected the gateway\'s request (HTTP 400)', { detail: error.code ?? 'HTTP 400' });
    }
    const list = parseWire('stripe', wireChargeList, response.body, 'charge list');
    return { charges: list.data, hasMore: list.has_more };
  }

  async getCharge(id: string, call: CallContext): Promise<WireCharge | null> {
    const response = await this.upstream.request({ method: 'GET', path: `/v1/charges/${encodeURIComponent(id)}`, expect: [404], call });
    if (response.status === 404) {
      parseWire('stripe', wireError, response.body, 'error body');
      return null;
    }
    return parseWire('stripe', wireCharge, response.body, 'charge');
  }
}
