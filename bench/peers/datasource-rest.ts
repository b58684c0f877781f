/**
 * Peer "datasource-rest": Apollo Server 5 with one `@apollo/datasource-rest` RESTDataSource per
 * provider, set up as Apollo's documentation recommends
 * (https://www.apollographql.com/docs/apollo-server/data/fetching-rest): a new instance of each
 * data source for every operation, built in the context function and handed the server's cache,
 * so its HTTP cache (RFC 9111 semantics through http-cache-semantics, as a shared cache) lives
 * across operations while its GET de-duplication lives for one operation.
 *
 * The resolvers are the same per-field ones as the naive peer; what RESTDataSource adds is that
 * identical GETs within one operation are sent once (the contact that `crmContact` and `deals`
 * both need), and that responses the providers allow a shared cache to store are reused.
 * Nothing is batched: the REST endpoints are per object.
 *
 * Environment: see shared/peer-config.ts.
 */
import { RESTDataSource, type AugmentedRequest, type DataSourceConfig } from '@apollo/datasource-rest';
import { GraphQLError } from 'graphql';
import type { CrmContactModel, CustomerModel, DealModel } from '../../src/model/types.ts';
import { toCustomer } from '../../src/providers/customers/mapper.ts';
import type { WireCustomer } from '../../src/providers/customers/wire.ts';
import { CONTACT_PROPERTIES, DEAL_PROPERTIES, toCrmContact, toDeal } from '../../src/providers/hubspot/mapper.ts';
import type { WireObject } from '../../src/providers/hubspot/wire.ts';
import { toPayment } from '../../src/providers/stripe/mapper.ts';
import type { WireCharge } from '../../src/providers/stripe/wire.ts';
import type { ProviderEndpoint } from './shared/peer-config.ts';
import { exitOnFailure, runPeerServer } from './shared/peer-server.ts';
import { DEFAULT_DEAL_CURRENCY, type ChargePage, type CustomerPage, type ProviderApi } from './shared/provider-api.ts';

/** A data source that authenticates with a bearer token, as each of the three providers wants. */
abstract class BearerDataSource extends RESTDataSource {
  readonly #token: string;

  constructor(endpoint: ProviderEndpoint, config: DataSourceConfig) {
    super(config);
    this.baseURL = `${endpoint.url}/`;
    this.#token = endpoint.token;
  }

  protected override willSendRequest(_path: string, request: AugmentedRequest): void {
    request.headers['authorization'] = `Bearer ${this.#token}`;
  }

  /** GET that reads a 404 as "no such object". */
  protected async getOrNull<T>(path: string, params?: Record<string, string>): Promise<T | null> {
    try {
      return await this.get<T>(path, params ? { params } : {});
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }
}

function isNotFound(error: unknown): boolean {
  const response = error instanceof GraphQLError ? (error.extensions['response'] as { status?: number } | undefined) : undefined;
  return response?.status === 404;
}

class CustomersAPI extends BearerDataSource {
  async listCustomers(limit: number, startingAfter: string | null): Promise<CustomerPage> {
    const params: Record<string, string> = { limit: String(limit), ...(startingAfter === null ? {} : { startingAfter }) };
    const page = await this.get<{ data: WireCustomer[]; nextCursor: string | null }>('v1/customers', { params });
    return { customers: page.data.map(toCustomer), hasMore: page.nextCursor !== null };
  }

  async getCustomer(id: string): Promise<CustomerModel | null> {
    const customer = await this.getOrNull<WireCustomer>(`v1/customers/${encodeURIComponent(id)}`);
    return customer === null ? null : toCustomer(customer);
  }
}

class StripeAPI extends BearerDataSource {
  async listCharges(customer: string, limit: number): Promise<ChargePage> {
    const list = await this.getOrNull<{ data: WireCharge[]; has_more: boolean }>('v1/charges', { customer, limit: String(limit) });
    return list === null ? { payments: [], hasMore: false } : { payments: list.data.map(toPayment), hasMore: list.has_more };
  }
}

class HubSpotAPI extends BearerDataSource {
  async getContact(id: string): Promise<CrmContactModel | null> {
    const contact = await this.getOrNull<WireObject>(`crm/v3/objects/contacts/${encodeURIComponent(id)}`, CONTACT_PARAMS);
    return contact === null ? null : toCrmContact(contact);
  }

  async getContactByEmail(email: string): Promise<CrmContactModel | null> {
    const params = { ...CONTACT_PARAMS, idProperty: 'email' };
    const contact = await this.getOrNull<WireObject>(`crm/v3/objects/contacts/${encodeURIComponent(email)}`, params);
    return contact === null ? null : toCrmContact(contact);
  }

  async getDealIds(contactId: string): Promise<string[]> {
    const ids: string[] = [];
    let after: string | undefined;
    do {
      const page = await this.getOrNull<{ results: Array<{ toObjectId: number | string }>; paging?: { next?: { after: string } } }>(
        `crm/v4/objects/contacts/${encodeURIComponent(contactId)}/associations/deals`,
        after === undefined ? undefined : { after },
      );
      ids.push(...(page?.results ?? []).map((result) => String(result.toObjectId)));
      after = page?.paging?.next?.after;
    } while (after !== undefined);
    return ids;
  }

  async getDeal(id: string): Promise<DealModel | null> {
    const deal = await this.getOrNull<WireObject>(`crm/v3/objects/deals/${encodeURIComponent(id)}`, DEAL_PARAMS);
    return deal === null ? null : toDeal(deal, DEFAULT_DEAL_CURRENCY);
  }
}

const CONTACT_PARAMS = { properties: CONTACT_PROPERTIES.join(',') };
const DEAL_PARAMS = { properties: DEAL_PROPERTIES.join(',') };

runPeerServer('datasource-rest', (config, cache) => {
  // One instance of each per operation, all on the server's cache (the documented set-up).
  const customers = new CustomersAPI(config.customers, { cache });
  const stripe = new StripeAPI(config.stripe, { cache });
  const hubspot = new HubSpotAPI(config.hubspot, { cache });
  const api: ProviderApi = {
    listCustomers: (limit, startingAfter) => customers.listCustomers(limit, startingAfter),
    getCustomer: (id) => customers.getCustomer(id),
    listCharges: (customer, limit) => stripe.listCharges(customer, limit),
    getContact: (id) => hubspot.getContact(id),
    getContactByEmail: (email) => hubspot.getContactByEmail(email),
    getDealIds: (contactId) => hubspot.getDealIds(contactId),
    getDeal: (id) => hubspot.getDeal(id),
  };
  return api;
}).catch(exitOnFailure('datasource-rest'));
