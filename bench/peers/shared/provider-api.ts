import type { CrmContactModel, CustomerModel, DealModel, PaymentModel } from '../../../src/model/types.ts';

/** A page of customers as the customer service lists them (ordered by id). */
export interface CustomerPage {
  customers: CustomerModel[];
  hasMore: boolean;
}

/** A customer's newest charges, and whether Stripe has more. */
export interface ChargePage {
  payments: PaymentModel[];
  hasMore: boolean;
}

/**
 * The upstream reads a peer's resolvers make, one method per REST call a team would write. Each
 * peer implements it its own way (plain fetch, RESTDataSource); the resolvers over it are
 * shared, so the peers differ only in how they call the providers.
 */
export interface ProviderApi {
  /** `GET /v1/customers?limit=&startingAfter=` */
  listCustomers(limit: number, startingAfter: string | null): Promise<CustomerPage>;
  /** `GET /v1/customers/:id`; null when unknown. */
  getCustomer(id: string): Promise<CustomerModel | null>;
  /** `GET /v1/charges?customer=&limit=`; an unknown Stripe customer has no charges. */
  listCharges(stripeCustomer: string, limit: number): Promise<ChargePage>;
  /** `GET /crm/v3/objects/contacts/:id`; null when HubSpot has no such contact. */
  getContact(id: string): Promise<CrmContactModel | null>;
  /** `GET /crm/v3/objects/contacts/:email?idProperty=email`; null when none has that email. */
  getContactByEmail(email: string): Promise<CrmContactModel | null>;
  /** `GET /crm/v4/objects/contacts/:id/associations/deals`, every page. */
  getDealIds(contactId: string): Promise<string[]>;
  /** `GET /crm/v3/objects/deals/:id`; null when HubSpot has no such deal. */
  getDeal(id: string): Promise<DealModel | null>;
}

/** HubSpot deals without `deal_currency_code` are in the portal's currency; Tributary's default. */
export const DEFAULT_DEAL_CURRENCY = 'USD';
