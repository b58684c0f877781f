/**
 * The shape of the seeded dataset the three simulators serve. Provider objects are stored in
 * their wire shape (snake_case for Stripe, `properties` maps for HubSpot) so a test can compare
 * a response with the dataset directly. Treat a Dataset as read-only: simulators clone what they
 * mutate (refunds), and `POST /_sim/reset` goes back to this state.
 */

/** A record of the first-party customer service (docs/providers/customers.md). */
export interface CustomerRecord {
  id: string;
  email: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  externalRefs: { stripe: string | null; hubspot: string | null };
  version: number;
}

export interface StripeCustomer {
  id: string;
  object: 'customer';
  address: null;
  balance: number;
  created: number;
  currency: string | null;
  default_source: null;
  delinquent: boolean;
  description: string | null;
  email: string;
  invoice_prefix: string;
  livemode: false;
  metadata: Record<string, string>;
  name: string;
  phone: null;
  preferred_locales: string[];
  tax_exempt: 'none';
}

export type ChargeStatus = 'succeeded' | 'pending' | 'failed';

export interface StripeCharge {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  balance_transaction: string | null;
  captured: boolean;
  created: number;
  currency: string;
  customer: string;
  description: string | null;
  failure_code: string | null;
  failure_message: string | null;
  livemode: false;
  metadata: Record<string, string>;
  paid: boolean;
  payment_intent: string;
  payment_method: string;
  receipt_email: string | null;
  refunded: boolean;
  status: ChargeStatus;
}

export type PaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded';

export interface StripePaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  canceled_at: null;
  capture_method: 'automatic';
  confirmation_method: 'automatic';
  created: number;
  currency: string;
  customer: string;
  description: string | null;
  last_payment_error: { code: string; message: string; type: 'card_error' } | null;
  latest_charge: string;
  livemode: false;
  metadata: Record<string, string>;
  payment_method: string;
  payment_method_types: string[];
  status: PaymentIntentStatus;
}

export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer';

export interface StripeRefund {
  id: string;
  object: 'refund';
  amount: number;
  balance_transaction: string | null;
  charge: string;
  created: number;
  currency: string;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: RefundReason | null;
  status: 'pending' | 'succeeded';
}

/** A HubSpot CRM object with every property it has; the simulator selects what was asked. */
export interface HubSpotObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: false;
}

export interface ContactDealAssociation {
  contactId: string;
  dealId: string;
}

/** Customer ids that exercise the awkward cases a gateway must handle. */
export interface DatasetAnomalies {
  /** `externalRefs.stripe` names a cus_ id Stripe does not have. */
  danglingStripeRefs: string[];
  /** `externalRefs.hubspot` names a contact id HubSpot does not have. */
  danglingHubspotRefs: string[];
  /** `externalRefs.hubspot` is null, yet a HubSpot contact has the same email. */
  hubspotByEmailOnly: string[];
  /** The referenced contact's email differs from the customer's. */
  hubspotEmailMismatch: string[];
}

export interface Dataset {
  seed: number;
  /** Ordered by id (`cust_0001` …). */
  customers: CustomerRecord[];
  stripe: {
    /** Newest first, as Stripe lists them. */
    customers: StripeCustomer[];
    charges: StripeCharge[];
    paymentIntents: StripePaymentIntent[];
  };
  hubspot: {
    /** Ordered by numeric id. */
    contacts: HubSpotObject[];
    deals: HubSpotObject[];
    contactDeals: ContactDealAssociation[];
  };
  anomalies: DatasetAnomalies;
}
