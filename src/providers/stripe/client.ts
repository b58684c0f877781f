import { ErrorCode, UpstreamError } from '../../errors.ts';
import type { UpstreamClient } from '../../upstream/upstream-client.ts';
import type { CallContext } from '../../upstream/call-context.ts';
import { parseWire } from '../../upstream/wire-validation.ts';
import { QuotaGuard, type Quota } from '../../upstream/quota/quota-guard.ts';
import { wireCharge, wireChargeList, wireChargeSearch, wireError, wireRefund, type WireCharge, type WireRefund } from './wire.ts';

/** Stripe's largest list page (https://docs.stripe.com/api/pagination). */
export const STRIPE_MAX_PAGE = 100;

/** How `Customer.payments` reads a customer's first charges: see docs/mapping.md. */
export type ChargesRead = 'list' | 'search';

export interface StripeClientOptions {
  /** Default 'list'. */
  chargesRead?: ChargesRead;
  /**
   * Stripe's own budget for search, which also counts against the basic one the pipeline's
   * quota guards: 20 read requests per second, live and test mode alike.
   */
  searchQuota?: Quota;
  /** Longest a search waits for that budget, in milliseconds; default 10 s. */
  searchQuotaMaxWaitMs?: number;
}

/** Stripe: "a rate limit of up to 20 read operations per second which applies for all search endpoints". */
export const STRIPE_SEARCH_RATE = { limit: 20, windowMs: 1000 } as const;

export interface WireChargeSearchPage {
  charges: WireCharge[];
  nextPage: string | null;
}

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
  readonly chargesRead: ChargesRead;
  private readonly searchQuota: Quota;
  private readonly searchQuotaMaxWaitMs: number;

  constructor(private readonly upstream: UpstreamClient, options: StripeClientOptions = {}) {
    this.chargesRead = options.chargesRead ?? 'list';
    this.searchQuotaMaxWaitMs = options.searchQuotaMaxWaitMs ?? 10 * 1000; // 10 s
    this.searchQuota = options.searchQuota ?? new QuotaGuard({ provider: 'stripe', ...STRIPE_SEARCH_RATE, maxWaitMs: this.searchQuotaMaxWaitMs });
  }

  /**
   * One page of `GET /v1/charges/search` for a query (`customer:'a' OR customer:'b'…`), 100
   * charges at most. Search is eventually consistent: what it answers may be up to a minute old.
   */
  async searchCharges(query: string, page: string | null, call: CallContext): Promise<WireChargeSearchPage> {
    const waited = await this.searchQuota.acquire(Math.min(this.searchQuotaMaxWaitMs, call.remainingMs()), call.fairnessKey);
    call.report.recordQuotaWait('stripe', waited);
    try {
      const response = await this.upstream.request({
        method: 'GET',
        path: '/v1/charges/search',
        query: { query, limit: STRIPE_MAX_PAGE, page: page ?? undefined },
        resource: 'stripe.charges',
        call,
      });
      const result = parseWire('stripe', wireChargeSearch, response.body, 'charge search result');
      return { charges: result.data, nextPage: result.has_more ? result.next_page : null };
    } finally {
      this.searchQuota.settle();
    }
  }

  /** One page of a customer's charges, newest first. An unknown (dangling) customer lists nothing. */
  async listCharges(customer: string, startingAfter: string | undefined, call: CallContext): Promise<WireChargePage> {
    const response = await this.upstream.request({
      method: 'GET',
      path: '/v1/charges',
      query: { customer, limit: STRIPE_MAX_PAGE, starting_after: startingAfter },
      expect: [400],
      resource: 'stripe.charges',
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
    const response = await this.upstream.request({ method: 'GET', path: `/v1/charges/${encodeURIComponent(id)}`, expect: [404], resource: 'stripe.charge', call });
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
      resource: 'write',
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
