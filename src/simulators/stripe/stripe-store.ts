import type {
  Dataset,
  StripeCharge,
  StripeCustomer,
  StripePaymentIntent,
  StripeRefund,
} from '../dataset/dataset.ts';

/**
 * The Stripe account's mutable state: a deep copy of the seeded data, so refunds can change
 * charges and `reset()` can return to the seed without touching the shared Dataset.
 */
export class StripeStore {
  readonly #dataset: Dataset;
  customers: StripeCustomer[] = [];
  charges: StripeCharge[] = [];
  paymentIntents: StripePaymentIntent[] = [];
  /** Newest first, like every Stripe list. */
  refunds: StripeRefund[] = [];
  #customerById = new Map<string, StripeCustomer>();
  #chargeById = new Map<string, StripeCharge>();
  #paymentIntentById = new Map<string, StripePaymentIntent>();
  /** Each customer's charges, newest first; the charges themselves, so refunds show in them. */
  #chargesByCustomer = new Map<string, StripeCharge[]>();
  /**
   * What search has indexed of each changed charge: its versions and when each was made. A
   * charge never changed since the seed is indexed as it is, without an entry here.
   */
  #chargeVersions = new Map<string, Array<{ at: number; charge: StripeCharge }>>();

  constructor(dataset: Dataset) {
    this.#dataset = dataset;
    this.reset();
  }

  reset(): void {
    const { customers, charges, paymentIntents } = structuredClone(this.#dataset.stripe);
    this.customers = customers;
    this.charges = charges;
    this.paymentIntents = paymentIntents;
    this.refunds = [];
    this.#customerById = new Map(customers.map((c) => [c.id, c]));
    this.#chargeById = new Map(charges.map((c) => [c.id, c]));
    this.#paymentIntentById = new Map(paymentIntents.map((p) => [p.id, p]));
    this.#chargesByCustomer = new Map();
    for (const charge of charges) {
      const list = this.#chargesByCustomer.get(charge.customer);
      if (list) list.push(charge);
      else this.#chargesByCustomer.set(charge.customer, [charge]);
    }
    this.#chargeVersions = new Map();
  }

  customer(id: string): StripeCustomer | undefined {
    return this.#customerById.get(id);
  }

  charge(id: string): StripeCharge | undefined {
    return this.#chargeById.get(id);
  }

  /** One customer's charges, newest first (none for an unknown customer). */
  chargesOf(customerId: string): readonly StripeCharge[] {
    return this.#chargesByCustomer.get(customerId) ?? [];
  }

  paymentIntent(id: string): StripePaymentIntent | undefined {
    return this.#paymentIntentById.get(id);
  }

  refund(id: string): StripeRefund | undefined {
    return this.refunds.find((refund) => refund.id === id);
  }

  /**
   * Records a refund and moves the charge's `amount_refunded` / `refunded` with it; `at` (epoch
   * milliseconds) is when search starts to count from for the charge's new state.
   */
  applyRefund(refund: StripeRefund, charge: StripeCharge, at: number): void {
    const versions = this.#chargeVersions.get(charge.id) ?? [{ at: Number.NEGATIVE_INFINITY, charge: structuredClone(charge) }];
    charge.amount_refunded += refund.amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    versions.push({ at, charge: structuredClone(charge) });
    this.#chargeVersions.set(charge.id, versions);
    this.refunds.unshift(refund);
  }

  /** The charges as search saw them at `indexedUpTo` (epoch ms), in list order; newer ones are missing. */
  searchableCharges(indexedUpTo: number): StripeCharge[] {
    return this.charges.flatMap((charge) => {
      const versions = this.#chargeVersions.get(charge.id);
      if (!versions) return [charge];
      const seen = versions.findLast((version) => version.at <= indexedUpTo);
      return seen ? [seen.charge] : [];
    });
  }
}
