import type { UpstreamClient } from '../../upstream/upstream-client.ts';
import type { CallContext } from '../../upstream/call-context.ts';
import { parseWire } from '../../upstream/wire-validation.ts';
import { wireBatchGet, wireCustomer, wireCustomerPage, wireCustomersError, type WireCustomer } from './wire.ts';

/** The service's batch-get takes at most this many ids (docs/providers/customers.md). */
export const CUSTOMERS_BATCH_SIZE = 100;

export interface ListCustomersParams {
  limit: number;
  startingAfter?: string;
  email?: string;
  stripeRef?: string;
}

export interface BatchGetAnswer {
  customers: WireCustomer[];
  notModified: Array<{ id: string; etag?: string }>;
}

export type ListAnswer =
  | { status: 'not-modified'; etag?: string }
  | { status: 'ok'; customers: WireCustomer[]; hasMore: boolean; etag?: string };

/** What `PATCH /v1/customers/{id}` came to. */
export type UpdateAnswer =
  | { status: 'updated'; customer: WireCustomer }
  /** 412: `If-Match` named another version; `currentVersion` is the record's now. */
  | { status: 'conflict'; currentVersion: number | undefined; afterRetry: boolean }
  | { status: 'not-found' }
  /** 400 or 409: the service refused the values (`code`: invalid_request, email_taken). */
  | { status: 'refused'; code: string; message: string; field?: string };

export class CustomersClient {
  constructor(private readonly upstream: UpstreamClient) {}

  /** Up to 100 customers; `known` entity tags come back as notModified when still current. */
  async batchGet(ids: readonly string[], known: ReadonlyMap<string, string>, call: CallContext): Promise<BatchGetAnswer> {
    const response = await this.upstream.request({
      method: 'POST',
      path: '/v1/customers/batch-get',
      json: { ids, ...(known.size > 0 ? { known: Object.fromEntries(known) } : {}) },
      resource: 'customers.customer',
      call,
    });
    const body = parseWire('customers', wireBatchGet, response.body, 'batch-get answer');
    return { customers: body.data, notModified: (body.notModified ?? []).map((id) => ({ id, etag: known.get(id) })) };
  }

  /** A page of customers; with `ifNoneMatch`, a 304 when the page (and every record on it) is unchanged. */
  async list(params: ListCustomersParams, ifNoneMatch: string | undefined, call: CallContext): Promise<ListAnswer> {
    const response = await this.upstream.request({
      method: 'GET',
      path: '/v1/customers',
      query: { limit: params.limit, startingAfter: params.startingAfter, email: params.email, stripeRef: params.stripeRef },
      ...(ifNoneMatch ? { headers: { 'if-none-match': ifNoneMatch } } : {}),
      resource: 'customers.page',
      call,
    });
    const etag = headerOf(response.headers['etag']);
    if (response.status === 304) return { status: 'not-modified', ...(etag ? { etag } : {}) };
    const body = parseWire('customers', wireCustomerPage, response.body, 'customer page');
    return { status: 'ok', customers: body.data, hasMore: body.nextCursor !== null, ...(etag ? { etag } : {}) };
  }

  /**
   * Changes a customer. With `ifMatch` (an entity tag) only if the record is still at that
   * version; without, whatever it is. Either way the change sets values, so sending it again
   * after a lost answer is safe (a repeat with `ifMatch` finds its own change: 412).
   */
  async update(id: string, change: { email?: string; name?: string }, ifMatch: string | undefined, call: CallContext): Promise<UpdateAnswer> {
    const response = await this.upstream.request({
      method: 'PATCH',
      resource: 'write',
      path: `/v1/customers/${encodeURIComponent(id)}`,
      json: change,
      ...(ifMatch ? { headers: { 'if-match': ifMatch } } : {}),
      idempotent: true,
      expect: [400, 404, 409, 412],
      call,
    });
    if (response.status === 404) return { status: 'not-found' };
    if (response.status === 412 || response.status === 400 || response.status === 409) {
      const { error } = parseWire('customers', wireCustomersError, response.body, 'error body');
      if (response.status === 412) return { status: 'conflict', currentVersion: error.currentVersion, afterRetry: (response.attempts ?? 1) > 1 };
      return { status: 'refused', code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) };
    }
    const customer = parseWire('customers', wireCustomer, response.body, 'customer');
    const etag = headerOf(response.headers['etag']);
    return { status: 'updated', customer: etag ? { ...customer, etag } : customer };
  }
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
