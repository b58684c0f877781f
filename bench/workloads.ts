import { encodeCursor } from '../src/model/connection.ts';
import { toGlobalId } from '../src/model/global-id.ts';
import { buildDataset, DatasetLookup } from '../src/simulators/index.ts';
import type { Provider } from './sim-admin.ts';
import type { SystemId } from './systems.ts';
// The same Customer 360 query the integration tests assert on: one contract for tests and peers.
import { CUSTOMER_360 } from '../test/support/queries.ts';

export const WORKLOAD_IDS = ['W0', 'W1', 'W2', 'W3', 'W4'] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

export interface RateLimit {
  limit: number;
  windowMs: number;
}

export interface Workload {
  id: WorkloadId;
  /** A few words for the table heading. */
  title: string;
  /** One sentence for the legend: what is asked, and what it shows. */
  summary: string;
  /** Request bodies, JSON as sent. The first is the one checked against Tributary's answer. */
  bodies: readonly string[];
  /** `first`: every request sends bodies[0]; `random`: each request picks one at random. */
  pick: 'first' | 'random';
  /** The providers' request budgets while this workload runs; the simulators enforce them. */
  limits: Record<Provider, RateLimit>;
  /** Systems that do not run this workload, and why. */
  skip?: { systems: readonly SystemId[]; reason: string };
}

/**
 * Every provider's budget for W0–W3: far above what any system here can ask for. With the real
 * limits (Stripe test keys 25 requests/s, HubSpot 100 per 10 s) one W1 operation of any system
 * already spends a Stripe second, and every system would measure the providers' quota instead of
 * itself. W4 keeps HubSpot's real limit to show what happens then.
 */
export const RAISED_LIMIT: RateLimit = { limit: 100_000, windowMs: 1000 };

/** HubSpot's Free/Starter burst limit (100 requests per rolling 10 s per token), for W4. */
export const HUBSPOT_REAL_LIMIT: RateLimit = { limit: 100, windowMs: 10_000 };

/** The simulators' seed (startSimulators' default); the workloads pick customers from the same data. */
const SEED = 42;

/** W1's page size, and the page size of W3's pages. */
export const PAGE_SIZE = 50;

const ONE_CUSTOMER = /* GraphQL */ `query OneCustomer($id: ID!) {
  customer(id: $id) {
    id name email createdAt updatedAt
    payments(first: 10) {
      edges { cursor node { id amount { amount minorUnits currency } amountRefunded { amount minorUnits currency } status createdAt description } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
    crmContact { id firstName lastName email lifecycleStage createdAt updatedAt }
    deals(first: 10) {
      edges { cursor node { id name amount { amount minorUnits currency } stage closeDate pipeline } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}`;

function body(query: string, variables?: Record<string, unknown>): string {
  return JSON.stringify(variables === undefined ? { query } : { query, variables });
}

function limits(hubspot: RateLimit = RAISED_LIMIT): Record<Provider, RateLimit> {
  return { customers: RAISED_LIMIT, stripe: RAISED_LIMIT, hubspot };
}

/**
 * The customer W2 asks for: linked to Stripe and to a HubSpot contact that exists, with the most
 * charges and deals (ties: lowest id), so the one operation touches every provider and resource.
 */
function richestCustomer(lookup: DatasetLookup, ids: readonly string[]): string {
  let best: { id: string; score: number } | undefined;
  for (const id of ids) {
    const contact = lookup.contactOf(id);
    const charges = lookup.chargesOf(id).length;
    if (!contact || charges === 0) continue;
    const score = charges + lookup.dealsOfContact(contact.id).length;
    if (!best || score > best.score) best = { id, score };
  }
  if (!best) throw new Error('the dataset has no customer linked to both Stripe and HubSpot');
  return best.id;
}

/**
 * W0–W4 over the simulators' seeded dataset. `pageStride` spaces W3's starting customers: 1 (a
 * page after every customer) for real runs, more for a quick run that only keeps the harness
 * working and should not spend its minute computing reference answers.
 */
export function buildWorkloads(pageStride = 1): Record<WorkloadId, Workload> {
  const dataset = buildDataset(SEED);
  const lookup = new DatasetLookup(dataset);
  const ids = dataset.customers.map((customer) => customer.id);
  // W3's pages: a page of 50 starting at every customer that has 49 more after it, in the
  // customer service's (id) order. Pages overlap, as pages after any cursor do, so entities
  // repeat across answers while whole answers rarely do.
  const pages: string[] = [];
  for (let start = 0; start + PAGE_SIZE <= ids.length; start += pageStride) {
    const previous = ids[start - 1];
    pages.push(body(CUSTOMER_360, { first: PAGE_SIZE, after: previous === undefined ? null : encodeCursor('customer', previous) }));
  }
  const customer360 = body(CUSTOMER_360, { first: PAGE_SIZE });

  return {
    W0: {
      id: 'W0',
      title: '`{ __typename }`',
      summary: 'no provider is called: the cost of the server itself (HTTP, GraphQL parse, validate, execute, serialise).',
      bodies: [body('{ __typename }')],
      pick: 'first',
      limits: limits(),
    },
    W1: {
      id: 'W1',
      title: 'Customer 360, first page',
      summary: `the first page of ${PAGE_SIZE} customers, each with payments (first 5), CRM contact and deals (first 5): the fan-out.`,
      bodies: [customer360],
      pick: 'first',
      limits: limits(),
    },
    W2: {
      id: 'W2',
      title: 'one customer with everything',
      summary: 'one customer with payments (first 10), CRM contact and deals (first 10): bound by the chain of upstream round trips.',
      bodies: [body(ONE_CUSTOMER, { id: toGlobalId('Customer', richestCustomer(lookup, ids)) })],
      pick: 'first',
      limits: limits(),
    },
    W3: {
      id: 'W3',
      title: 'Customer 360, random pages',
      summary: `W1 from a random starting customer per request: ${pages.length} distinct pages over the whole data set (${ids.length} customers), so caches churn.`,
      bodies: pages,
      pick: 'random',
      limits: limits(),
      skip: { systems: ['tributary-cold'], reason: 'warm phase only: W3 measures a cache that has been filled' },
    },
    W4: {
      id: 'W4',
      title: 'Customer 360 under the HubSpot quota',
      summary: `W1 with HubSpot held to its real Free/Starter limit (${HUBSPOT_REAL_LIMIT.limit} requests per rolling ${HUBSPOT_REAL_LIMIT.windowMs / 1000} s), well below what the offered load needs without a cache.`,
      bodies: [customer360],
      pick: 'first',
      limits: limits(HUBSPOT_REAL_LIMIT),
    },
  };
}
