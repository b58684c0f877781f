import { ErrorCode, UpstreamError } from '../../errors.ts';
import type { UpstreamClient } from '../../upstream/upstream-client.ts';
import type { CallContext } from '../../upstream/call-context.ts';
import { parseWire } from '../../upstream/wire-validation.ts';
import { wireCharge, wireChargeList, wireError, wireRefund, type WireCharge, type WireRefund } from './wire.ts';

/** Stripe's largest list page (https://docs.stripe.com/api/pagination). */
export const STRIPE_MAX_PAGE = 100;

export interface WireChargePage {
  charges: WireCharge[];
  hasMore: boolean;
}

/** What a refund request came to: the refund, or Stripe's refusal of it (HTTP 400/404, its error). */
export type RefundAnswer = { refund: WireRefund } | { refused: { code: string; message: string; param?: string } };

export interface RefundParams {
  charge: string;
  /** Minor units; everything not yet refunded when absent. */
  amount?: number;
  reason?: 'duplicate' | 'fraudulent' | 'requested_by_customer';
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

  /**
   * `POST /v1/refunds` with `Idempotency-Key`: Stripe keeps the first result for 24 h and
   * replays it for the same key, so the pipeline may send it again after a lost answer and the
   * charge is still refunded once. A key reused with other parameters is Stripe's
   * `idempotency_error`, thrown as IDEMPOTENCY_KEY_REUSED by the caller.
   */
  async createRefund(params: RefundParams, idempotencyKey: string, call: CallContext): Promise<RefundAnswer> {
    const form: Record<string, string> = { charge: params.charge };
    if (params.amount !== undefined) form['amount'] = String(params.amount);
    if (params.reason !== undefined) form['reason'] = params.reason;
    const response = await this.upstream.request({
      method: 'POST',
      path: '/v1/refunds',
      form,
      headers: { 'idempotency-key': idempotencyKey },
      idempotent: true,
      expect: [400, 404],
      call,
    });
    if (response.status === 400 || response.status === 404) {
      const { error } = parseWire('stripe', wireError, response.body, 'error body');
      return { refused: { code: error.type === 'idempotency_error' ? 'idempotency_error' : (error.code ?? error.type), message: error.message ?? `HTTP ${response.status}`, ...(error.param ? { param: error.param } : {}) } };
    }
    return { refund: parseWire('stripe', wireRefund, response.body, 'refund') };
  }
}
