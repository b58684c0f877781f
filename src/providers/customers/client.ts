import type { UpstreamClient } from '../../upstream/upstream-client.ts';
import type { CallContext } from '../../upstream/call-context.ts';
import { parseWire } from '../../upstream/wire-validation.ts';
import { wireBatchGet, wireCustomerPage, type WireCustomer } from './wire.ts';

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

export class CustomersClient {
  constructor(private readonly upstream: UpstreamClient) {}

  /** Up to 100 customers; `known` entity tags come back as notModified when still current. */
  async batchGet(ids: readonly string[], known: ReadonlyMap<string, string>, call: CallContext): Promise<BatchGetAnswer> {
    const response = await this.upstream.request({
      method: 'POST',
      path: '/v1/customers/batch-get',
      json: { ids, ...(known.size > 0 ? { known: Object.fromEntries(known) } : {}) },
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
      call,
    });
    const etag = headerOf(response.headers['etag']);
    if (response.status === 304) return { status: 'not-modified', ...(etag ? { etag } : {}) };
    const body = parseWire('customers', wireCustomerPage, response.body, 'customer page');
    return { status: 'ok', customers: body.data, hasMore: body.nextCursor !== null, ...(etag ? { etag } : {}) };
  }
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
