import type {
  CustomerRecord,
  Dataset,
  HubSpotObject,
  StripeCharge,
  StripeCustomer,
  StripePaymentIntent,
} from './dataset.ts';

/**
 * Indexed, read-only questions over a Dataset, for tests that compute what the gateway should
 * answer ("the charges of cust_0007, newest first") without re-deriving the joins.
 */
export class DatasetLookup {
  readonly #customers: Map<string, CustomerRecord>;
  readonly #stripeCustomers: Map<string, StripeCustomer>;
  readonly #charges = new Map<string, StripeCharge[]>();
  readonly #paymentIntents = new Map<string, StripePaymentIntent[]>();
  readonly #contacts: Map<string, HubSpotObject>;
  readonly #contactsByEmail = new Map<string, HubSpotObject>();
  readonly #deals: Map<string, HubSpotObject>;
  readonly #dealIdsByContact = new Map<string, string[]>();

  constructor(readonly dataset: Dataset) {
    this.#customers = new Map(dataset.customers.map((c) => [c.id, c]));
    this.#stripeCustomers = new Map(dataset.stripe.customers.map((c) => [c.id, c]));
    for (const charge of dataset.stripe.charges) push(this.#charges, charge.customer, charge);
    for (const intent of dataset.stripe.paymentIntents) push(this.#paymentIntents, intent.customer, intent);
    this.#contacts = new Map(dataset.hubspot.contacts.map((c) => [c.id, c]));
    for (const contact of dataset.hubspot.contacts) {
      const email = contact.properties.email;
      if (email) this.#contactsByEmail.set(email.toLowerCase(), contact);
    }
    this.#deals = new Map(dataset.hubspot.deals.map((d) => [d.id, d]));
    for (const { contactId, dealId } of dataset.hubspot.contactDeals) push(this.#dealIdsByContact, contactId, dealId);
  }

  customer(id: string): CustomerRecord | undefined {
    return this.#customers.get(id);
  }

  /** The Stripe customer behind `externalRefs.stripe`; undefined when unlinked or dangling. */
  stripeCustomerOf(customerId: string): StripeCustomer | undefined {
    const ref = this.customer(customerId)?.externalRefs.stripe;
    return ref ? this.#stripeCustomers.get(ref) : undefined;
  }

  /** Charges of a customer's Stripe customer, newest first (seeded state, before any refund). */
  chargesOf(customerId: string): StripeCharge[] {
    const stripe = this.stripeCustomerOf(customerId);
    return stripe ? (this.#charges.get(stripe.id) ?? []) : [];
  }

  paymentIntentsOf(customerId: string): StripePaymentIntent[] {
    const stripe = this.stripeCustomerOf(customerId);
    return stripe ? (this.#paymentIntents.get(stripe.id) ?? []) : [];
  }

  /** The contact behind `externalRefs.hubspot`; undefined when unlinked or dangling. */
  contactOf(customerId: string): HubSpotObject | undefined {
    const ref = this.customer(customerId)?.externalRefs.hubspot;
    return ref ? this.#contacts.get(ref) : undefined;
  }

  /** HubSpot treats emails case-insensitively. */
  contactByEmail(email: string): HubSpotObject | undefined {
    return this.#contactsByEmail.get(email.toLowerCase());
  }

  /** Deals associated with a contact, in ascending id order (0 to 2 of them). */
  dealsOfContact(contactId: string): HubSpotObject[] {
    return (this.#dealIdsByContact.get(contactId) ?? []).flatMap((id) => this.#deals.get(id) ?? []);
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
