import type {
  ChargeStatus,
  CustomerRecord,
  PaymentIntentStatus,
  StripeCharge,
  StripeCustomer,
  StripePaymentIntent,
} from './dataset.ts';
import { DATASET_WINDOW } from './dataset-window.ts';
import type { SeededRandom } from './seeded-random.ts';

export interface StripeData {
  customers: StripeCustomer[];
  charges: StripeCharge[];
  paymentIntents: StripePaymentIntent[];
  /** customer id → the value for `externalRefs.stripe` */
  refs: Map<string, string>;
  danglingRefs: string[];
}

const LINKED_SHARE = 0.85;
const DANGLING_COUNT = 5;
const DESCRIPTIONS = ['Order #{n}', 'Subscription renewal', 'Annual plan', 'Seat top-up', 'Invoice {n}'];
const PI_STATUS: Record<ChargeStatus, PaymentIntentStatus> = {
  succeeded: 'succeeded',
  pending: 'processing',
  failed: 'requires_payment_method',
};

/**
 * Stripe customers for about 85% of the customers, each with 0–6 charges and one PaymentIntent
 * per charge (`charge.payment_intent` ↔ `payment_intent.latest_charge`), plus a few refs to
 * Stripe customers that do not exist.
 */
export function buildStripeData(random: SeededRandom, people: readonly CustomerRecord[]): StripeData {
  const order = random.shuffle(people.map((_, index) => index));
  const linkedCount = Math.round(people.length * LINKED_SHARE);
  const linked = new Set(order.slice(0, linkedCount));
  const dangling = new Set(order.slice(linkedCount, linkedCount + DANGLING_COUNT));
  const ids = new UniqueIds(random);
  const data: StripeData = { customers: [], charges: [], paymentIntents: [], refs: new Map(), danglingRefs: [] };

  people.forEach((person, index) => {
    if (dangling.has(index)) {
      data.refs.set(person.id, ids.next('cus_', 14));
      data.danglingRefs.push(person.id);
      return;
    }
    if (!linked.has(index)) return;
    const currency = random.weighted([['usd', 80], ['eur', 15], ['jpy', 5]] as const);
    const customer = stripeCustomer(random, ids, person);
    const chargeCount = random.weighted([[0, 15], [1, 20], [2, 20], [3, 15], [4, 12], [5, 10], [6, 8]]);
    for (let n = 0; n < chargeCount; n++) {
      const { charge, paymentIntent } = chargePair(random, ids, customer, currency);
      data.charges.push(charge);
      data.paymentIntents.push(paymentIntent);
    }
    customer.currency = chargeCount > 0 ? currency : null;
    data.customers.push(customer);
    data.refs.set(person.id, customer.id);
  });

  sortNewestFirst(data.customers);
  sortNewestFirst(data.charges);
  sortNewestFirst(data.paymentIntents);
  return data;
}

function stripeCustomer(random: SeededRandom, ids: UniqueIds, person: CustomerRecord): StripeCustomer {
  return {
    id: ids.next('cus_', 14),
    object: 'customer',
    address: null,
    balance: 0,
    created: Math.floor(Date.parse(person.createdAt) / 1000) + random.int(0, 3 * 86400),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    email: person.email,
    invoice_prefix: random.alnum(8).toUpperCase(),
    livemode: false,
    metadata: {},
    name: person.name,
    phone: null,
    preferred_locales: [],
    tax_exempt: 'none',
  };
}

function chargePair(
  random: SeededRandom,
  ids: UniqueIds,
  customer: StripeCustomer,
  currency: 'usd' | 'eur' | 'jpy',
): { charge: StripeCharge; paymentIntent: StripePaymentIntent } {
  const endSeconds = Math.floor(DATASET_WINDOW.endMs / 1000);
  const created = random.int(Math.min(customer.created + 3600, endSeconds), endSeconds);
  // JPY is zero-decimal: 1200 means ¥1200, so amounts are whole hundreds of yen.
  const amount = currency === 'jpy' ? random.int(5, 500) * 100 : random.int(5, 2000) * 100 - random.pick([0, 1, 5]);
  const status = random.weighted([['succeeded', 75], ['pending', 10], ['failed', 15]] as const);
  const refundKind = status === 'succeeded' ? random.weighted([['none', 82], ['full', 10], ['partial', 8]] as const) : 'none';
  const amountRefunded = refundKind === 'full' ? amount : refundKind === 'partial' ? random.int(1, amount - 1) : 0;
  const description = random.chance(0.3)
    ? null
    : random.pick(DESCRIPTIONS).replace('{n}', String(random.int(1000, 99999)));
  const paymentMethod = ids.next('pm_', 24);
  const chargeId = ids.next('ch_', 24);
  const paymentIntentId = ids.next('pi_', 24);
  const failed = status === 'failed';

  const charge: StripeCharge = {
    id: chargeId,
    object: 'charge',
    amount,
    amount_captured: failed ? 0 : amount,
    amount_refunded: amountRefunded,
    balance_transaction: status === 'succeeded' ? ids.next('txn_', 24) : null,
    captured: !failed,
    created,
    currency,
    customer: customer.id,
    description,
    failure_code: failed ? 'card_declined' : null,
    failure_message: failed ? 'Your card was declined.' : null,
    livemode: false,
    metadata: {},
    paid: status === 'succeeded',
    payment_intent: paymentIntentId,
    payment_method: paymentMethod,
    receipt_email: random.chance(0.5) ? customer.email : null,
    refunded: amountRefunded === amount,
    status,
  };
  const paymentIntent: StripePaymentIntent = {
    id: paymentIntentId,
    object: 'payment_intent',
    amount,
    amount_capturable: 0,
    amount_received: status === 'succeeded' ? amount : 0,
    canceled_at: null,
    capture_method: 'automatic',
    confirmation_method: 'automatic',
    created: created - random.int(0, 5),
    currency,
    customer: customer.id,
    description,
    last_payment_error: failed ? { code: 'card_declined', message: 'Your card was declined.', type: 'card_error' } : null,
    latest_charge: chargeId,
    livemode: false,
    metadata: {},
    payment_method: paymentMethod,
    payment_method_types: ['card'],
    status: PI_STATUS[status],
  };
  return { charge, paymentIntent };
}

/** Stripe lists newest first; equal timestamps fall back to the id so the order is total. */
function sortNewestFirst(items: Array<{ id: string; created: number }>): void {
  items.sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** Random ids that never repeat within one dataset. */
class UniqueIds {
  readonly #seen = new Set<string>();
  readonly #random: SeededRandom;

  constructor(random: SeededRandom) {
    this.#random = random;
  }

  next(prefix: string, length: number): string {
    for (;;) {
      const id = prefix + this.#random.alnum(length);
      if (!this.#seen.has(id)) {
        this.#seen.add(id);
        return id;
      }
    }
  }
}
