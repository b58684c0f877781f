import type { CustomerModel } from '../../model/types.ts';
import type { UpstreamClient } from '../../upstream/upstream-client.ts';
import type { UpstreamReport } from '../../upstream/upstream-report.ts';
import { parseWire } from '../../upstream/wire-validation.ts';
import { toCustomer } from './mapper.ts';
import { wireBatchGet, wireCustomerPage } from './wire.ts';

/** The service's batch-get takes at most this many ids (docs/providers/customers.md). */
export const CUSTOMERS_BATCH_SIZE = 100;

export interface CustomerPage {
  customers: CustomerModel[];
  hasMore: boolean;
}

export interface ListCustomersParams {
  limit: number;
  startingAfter?: string;
  email?: string;
  stripeRef?: string;
}

export class CustomersClient {
  constructor(private readonly upstream: UpstreamClient) {}

  async batchGet(ids: readonly string[], report: UpstreamReport): Promise<Map<string, CustomerModel>> {
    const response = await this.upstream.request({ method: 'POST', path: '/v1/customers/batch-get', json: { ids }, report });
    const body = parseWire('customers', wireBatchGet, response.body, 'batch-get answer');
    return new Map(body.data.map((wire) => [wire.id, toCustomer(wire)]));
  }

  async list(params: ListCustomersParams, report: UpstreamReport): Promise<CustomerPage> {
    const response = await this.upstream.request({
      method: 'GET',
      path: '/v1/customers',
      query: { limit: params.limit, startingAfter: params.startingAfter, email: params.email, stripeRef: params.stripeRef },
      report,
    });
    const body = parseWire('customers', wireCustomerPage, response.body, 'customer page');
    return { customers: body.data.map(toCustomer), hasMore: body.nextCursor !== null };
  }
}
