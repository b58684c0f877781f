/**
 * Peer "naive": Apollo Server 5 whose resolvers call the providers with `fetch`, one REST call
 * per field and per object, nothing batched, deduplicated or cached. This is the first version
 * most teams write: each resolver fetches what it needs, so a page of 50 customers costs one
 * call per customer for payments, two contact look-ups per customer (`crmContact` and `deals`
 * each find the contact) and one call per deal.
 *
 * Environment: see shared/peer-config.ts.
 */
import type { WireCharge } from '../../src/providers/stripe/wire.ts';
import type { WireCustomer } from '../../src/providers/customers/wire.ts';
import type { WireObject } from '../../src/providers/hubspot/wire.ts';
import { toCustomer } from '../../src/providers/customers/mapper.ts';
import { CONTACT_PROPERTIES, DEAL_PROPERTIES, toCrmContact, toDeal } from '../../src/providers/hubspot/mapper.ts';
import { toPayment } from '../../src/providers/stripe/mapper.ts';
import type { CrmContactModel, CustomerModel, DealModel } from '../../src/model/types.ts';
import type { PeerConfig, ProviderEndpoint } from './shared/peer-config.ts';
import { exitOnFailure, runPeerServer } from './shared/peer-server.ts';
import { DEFAULT_DEAL_CURRENCY, type ChargePage, type CustomerPage, type ProviderApi } from './shared/provider-api.ts';

/** Every call: GET with the bearer token; a 404 is `null`, any other failure throws. */
async function getJson<T>(endpoint: ProviderEndpoint, path: string): Promise<T | null> {
  const response = await fetch(endpoint.url + path, { headers: { authorization: `Bearer ${endpoint.token}` } });
  if (response.status === 404) {
    await response.arrayBuffer();
    return null;
  }
  if (!response.ok) {
    await response.arrayBuffer();
    throw new Error(`${new URL(endpoint.url).host}${path.split('?')[0]} answered HTTP ${response.status}`);
  }
  return (await response.json()) as T;
}

class FetchProviderApi implements ProviderApi {
  constructor(private readonly config: PeerConfig) {}

  async listCustomers(limit: number, startingAfter: string | null): Promise<CustomerPage> {
    const query = new URLSearchParams({ limit: String(limit), ...(startingAfter === null ? {} : { startingAfter }) });
    const page = await getJson<{ data: WireCustomer[]; nextCursor: string | null }>(this.config.customers, `/v1/customers?${query}`);
    if (page === null) throw new Error('the customer service has no /v1/customers');
    return { customers: page.data.map(toCustomer), hasMore: page.nextCursor !== null };
  }

  async getCustomer(id: string): Promise<CustomerModel | null> {
    const customer = await getJson<WireCustomer>(this.config.customers, `/v1/customers/${encodeURIComponent(id)}`);
    return customer === null ? null : toCustomer(customer);
  }

  async listCharges(stripeCustomer: string, limit: number): Promise<ChargePage> {
    const query = new URLSearchParams({ customer: stripeCustomer, limit: String(limit) });
    const list = await getJson<{ data: WireCharge[]; has_more: boolean }>(this.config.stripe, `/v1/charges?${query}`);
    return list === null ? { payments: [], hasMore: false } : { payments: list.data.map(toPayment), hasMore: list.has_more };
  }

  async getContact(id: string): Promise<CrmContactModel | null> {
    const contact = await getJson<WireObject>(this.config.hubspot, `/crm/v3/objects/contacts/${encodeURIComponent(id)}?${CONTACT_QUERY}`);
    return contact === null ? null : toCrmContact(contact);
  }

  async getContactByEmail(email: string): Promise<CrmContactModel | null> {
    const path = `/crm/v3/objects/contacts/${encodeURIComponent(email)}?idProperty=email&${CONTACT_QUERY}`;
    const contact = await getJson<WireObject>(this.config.hubspot, path);
    return contact === null ? null : toCrmContact(contact);
  }

  async getDealIds(contactId: string): Promise<string[]> {
    const ids: string[] = [];
    let after: string | undefined;
    do {
      const query = after === undefined ? '' : `?after=${encodeURIComponent(after)}`;
      const page = await getJson<AssociationPage>(this.config.hubspot, `/crm/v4/objects/contacts/${encodeURIComponent(contactId)}/associations/deals${query}`);
      ids.push(...(page?.results ?? []).map((result) => String(result.toObjectId)));
      after = page?.paging?.next?.after;
    } while (after !== undefined);
    return ids;
  }

  async getDeal(id: string): Promise<DealModel | null> {
    const deal = await getJson<WireObject>(this.config.hubspot, `/crm/v3/objects/deals/${encodeURIComponent(id)}?${DEAL_QUERY}`);
    return deal === null ? null : toDeal(deal, DEFAULT_DEAL_CURRENCY);
  }
}

interface AssociationPage {
  results: Array<{ toObjectId: number | string }>;
  paging?: { next?: { after: string } };
}

const CONTACT_QUERY = `properties=${CONTACT_PROPERTIES.join(',')}`;
const DEAL_QUERY = `properties=${DEAL_PROPERTIES.join(',')}`;

runPeerServer('naive', (config) => new FetchProviderApi(config)).catch(exitOnFailure('naive'));
