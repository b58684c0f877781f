import { buildCustomers } from './build-customers.ts';
import { buildHubSpotData } from './build-hubspot-data.ts';
import { buildStripeData } from './build-stripe-data.ts';
import type { Dataset } from './dataset.ts';
import { SeededRandom } from './seeded-random.ts';

const CUSTOMER_COUNT = 1000;

/**
 * The one dataset behind all three simulators. The same seed gives a deep-equal result on every
 * run; each provider draws from its own forked stream so the parts stay stable independently.
 */
export function buildDataset(seed = 42): Dataset {
  const random = new SeededRandom(seed);
  const customers = buildCustomers(random.fork('customers'), CUSTOMER_COUNT);
  const stripe = buildStripeData(random.fork('stripe'), customers);
  const hubspot = buildHubSpotData(random.fork('hubspot'), customers);

  for (const customer of customers) {
    customer.externalRefs = {
      stripe: stripe.refs.get(customer.id) ?? null,
      hubspot: hubspot.refs.get(customer.id) ?? null,
    };
  }

  return {
    seed,
    customers,
    stripe: { customers: stripe.customers, charges: stripe.charges, paymentIntents: stripe.paymentIntents },
    hubspot: { contacts: hubspot.contacts, deals: hubspot.deals, contactDeals: hubspot.contactDeals },
    anomalies: {
      danglingStripeRefs: stripe.danglingRefs,
      danglingHubspotRefs: hubspot.danglingRefs,
      hubspotByEmailOnly: hubspot.byEmailOnly,
      hubspotEmailMismatch: hubspot.emailMismatch,
    },
  };
}
