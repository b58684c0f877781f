/**
 * The providers' chain: the upstream requests Tributary (cold) sends for one W1 or W2 operation,
 * sent by a client that does no work of its own, each as soon as its inputs are known: bare
 * undici over one keep-alive Agent, no GraphQL, no validation, no mapping, no cache, no quota or
 * bulkhead, JSON.parse only of the answers the next requests are chained on. Same simulators,
 * same calls: the lowest latency any gateway could reach on this machine. bench/alone-latency.ts
 * states each workload's floor as round trips times the simulators' latency; the chain's median
 * minus that floor is what the simulators and the wire alone add, and a gateway's alone latency
 * minus the chain's is the gateway's own. `npm run bench` times it beside the systems' alone
 * operations; `npx tsx bench/cold-floor.ts` alone.
 *
 * The requests, from src/providers/{customers,stripe,hubspot} (clients and loaders) and
 * src/graphql/resolvers, with the credentials bench/systems.ts gives tributary-cold:
 *   W1  GET /v1/customers?limit=50
 *       → together: POST /crm/v3/objects/contacts/batch/read (the customers' HubSpot refs),
 *         the same by email (`idProperty: "email"`, customers without a ref), and
 *         GET /v1/charges?customer=…&limit=100 per Stripe-linked customer, all at once (Tributary's
 *         bulkhead, BULKHEAD_MAX_CONCURRENT 32, holds W1's last 11 of 43 back; off its critical path)
 *       → when the email lookup is back (Tributary parks the batch until then, so that it is one
 *         call): POST /crm/v4/associations/contacts/deals/batch/read for every contact id
 *       → POST /crm/v3/objects/deals/batch/read: each existing contact's first 5 deal ids, in
 *         HubSpot's numeric order
 *   W2  POST /v1/customers/batch-get {ids: [id]}
 *       → together: its contact by id, its deal associations (the ref is the contact id) and its
 *         Stripe charges → its first 10 deals.
 * HubSpot batches hold at most 100 inputs (Tributary's loaders split them the same way);
 * associations pages are followed round by round as HubSpotClient.readDealIds does.
 */
import { Agent } from 'undici';
import { ENV_SCHEMA } from '../src/config/env-schema.ts';
import { expectGlobalId } from '../src/model/global-id.ts';
import { HUBSPOT_BATCH_SIZE } from '../src/providers/hubspot/client.ts';
import { CONTACT_PROPERTIES, DEAL_PROPERTIES } from '../src/providers/hubspot/mapper.ts';
import { STRIPE_MAX_PAGE } from '../src/providers/stripe/client.ts';
import { PROVIDERS, type Provider } from './sim-admin.ts';
import type { SimulatorAddresses } from './simulators-process.ts';
import type { Workload, WorkloadId } from './workloads.ts';

/** Tributary's STRIPE_API_VERSION default: the cold system sets none. */
const STRIPE_VERSION = ENV_SCHEMA.shape.STRIPE_API_VERSION.parse(undefined);

/** `deals(first: …)` in each workload's query (bench/workloads.ts, test/support/queries.ts). */
const DEALS_FIRST = { W1: 5, W2: 10 } as const;

/** The workloads whose chain is known here: those with a query of their own and a floor above 0. */
export type ChainWorkload = keyof typeof DEALS_FIRST;

export function hasChain(id: WorkloadId): id is ChainWorkload {
  return Object.hasOwn(DEALS_FIRST, id);
}

/** What is read of a customer record: only what the next requests need. */
interface Customer {
  email: string;
  externalRefs: { stripe: string | null; hubspot: string | null };
}

interface HubSpotObjects {
  results: Array<{ id: string; properties: Record<string, string | null | undefined> }>;
}

interface Associations {
  results: Array<{ from: { id: string }; to: Array<{ toObjectId: string | number }>; paging?: { next?: { after?: string } } }>;
}

/** One request, its answer read whole; returns the body's text. */
type Send = (provider: Provider, method: 'GET' | 'POST', path: string, json?: unknown) => Promise<string>;

function client(agent: Agent, sims: SimulatorAddresses, sent: Record<Provider, number>): Send {
  const { customersToken, stripeSecretKey, hubspotToken } = sims.credentials;
  const headers: Record<Provider, Record<string, string>> = {
    customers: { accept: 'application/json', authorization: `Bearer ${customersToken}` },
    stripe: { accept: 'application/json', authorization: `Bearer ${stripeSecretKey}`, 'stripe-version': STRIPE_VERSION },
    hubspot: { accept: 'application/json', authorization: `Bearer ${hubspotToken}` },
  };
  const origins: Record<Provider, string> = { customers: new URL(sims.customers).origin, stripe: new URL(sims.stripe).origin, hubspot: new URL(sims.hubspot).origin };
  return async (provider, method, path, json) => {
    sent[provider] += 1;
    const { statusCode, body } = await agent.request({
      origin: origins[provider],
      method,
      path,
      headers: json === undefined ? headers[provider] : { ...headers[provider], 'content-type': 'application/json' },
      body: json === undefined ? null : JSON.stringify(json),
    });
    const text = await body.text();
    if (statusCode !== 200 && statusCode !== 207) throw new Error(`${provider} ${method} ${path}: HTTP ${statusCode}: ${text.slice(0, 300)}`);
    return text;
  };
}

/** One W1 or W2 operation's upstream requests, each sent as soon as its inputs are known. */
async function operation(send: Send, workload: ChainWorkload, variables: { first?: number; id?: string }): Promise<void> {
  const customers =
    workload === 'W1'
      ? (JSON.parse(await send('customers', 'GET', `/v1/customers?${new URLSearchParams({ limit: String(variables.first) })}`)) as { data: Customer[] }).data
      : (JSON.parse(await send('customers', 'POST', '/v1/customers/batch-get', { ids: [expectGlobalId(variables.id!, 'Customer')] })) as { data: Customer[] }).data;
  const refs = unique(customers.flatMap((c) => c.externalRefs.hubspot ?? []));
  const emails = unique(customers.filter((c) => c.externalRefs.hubspot === null).map((c) => c.email.toLowerCase()));
  // HubSpot first (the page's resolver prefetches contacts before the fields start Stripe's calls).
  const byId = batchRead(send, 'contacts', refs, CONTACT_PROPERTIES, false);
  const byEmail = batchRead(send, 'contacts', emails, CONTACT_PROPERTIES, true);
  const charges = Promise.all(
    unique(customers.flatMap((c) => c.externalRefs.stripe ?? [])).map((customer) => send('stripe', 'GET', `/v1/charges?${new URLSearchParams({ customer, limit: String(STRIPE_MAX_PAGE) })}`)),
  );
  // Whatever fails before it is awaited is still awaited below; until then it must not count as unhandled.
  for (const started of [byId, byEmail, charges]) started.catch(() => undefined);
  // Email → contact id; the associations batch waits for it (none to wait for when no customer lacks a ref).
  const idOfEmail = new Map((await byEmail).map((contact) => [contact.properties['email']?.toLowerCase(), contact.id]));
  const contactOf = (c: Customer) => c.externalRefs.hubspot ?? idOfEmail.get(c.email.toLowerCase());
  // In Tributary's order: customers with a ref joined the batches first, those found by email after.
  const inOrder = [...customers.filter((c) => c.externalRefs.hubspot !== null), ...customers.filter((c) => c.externalRefs.hubspot === null)];
  const [dealIds, existing] = await Promise.all([
    readDealIds(send, unique(inOrder.flatMap((c) => contactOf(c) ?? []))),
    byId.then((found) => new Set([...found.map((contact) => contact.id), ...idOfEmail.values()])),
  ]);
  // Each customer's deal page: its contact's first deals by HubSpot id (hubspot/deals.ts), if the contact exists.
  const pages = inOrder.flatMap((c) => {
    const contact = contactOf(c);
    if (contact === undefined || !existing.has(contact)) return [];
    return [...(dealIds.get(contact) ?? [])].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0)).slice(0, DEALS_FIRST[workload]);
  });
  await Promise.all([batchRead(send, 'deals', unique(pages), DEAL_PROPERTIES, false), charges]);
}

/** `POST /crm/v3/objects/{type}/batch/read`, 100 inputs a call, all calls at once. */
async function batchRead(send: Send, type: 'contacts' | 'deals', keys: readonly string[], properties: readonly string[], byEmail: boolean): Promise<HubSpotObjects['results']> {
  const answers = await Promise.all(
    chunks(keys).map((chunk) =>
      send('hubspot', 'POST', `/crm/v3/objects/${type}/batch/read`, { inputs: chunk.map((id) => ({ id })), properties: [...properties], ...(byEmail ? { idProperty: 'email' } : {}) }),
    ),
  );
  return answers.flatMap((text) => (JSON.parse(text) as HubSpotObjects).results);
}

/** The contacts' deal ids (CRM v4 associations batch read), page rounds followed as HubSpotClient.readDealIds does. */
async function readDealIds(send: Send, contactIds: readonly string[]): Promise<Map<string, string[]>> {
  const deals = new Map<string, string[]>();
  await Promise.all(
    chunks(contactIds).map(async (chunk) => {
      let inputs: Array<{ id: string; after?: string }> = chunk.map((id) => ({ id }));
      while (inputs.length > 0) {
        const answer = JSON.parse(await send('hubspot', 'POST', '/crm/v4/associations/contacts/deals/batch/read', { inputs })) as Associations;
        inputs = [];
        for (const result of answer.results) {
          const list = deals.get(result.from.id) ?? [];
          deals.set(result.from.id, list);
          for (const to of result.to) list.push(String(to.toObjectId));
          const after = result.paging?.next?.after;
          if (after !== undefined) inputs.push({ id: result.from.id, after });
        }
      }
    }),
  );
  return deals;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function chunks(values: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < values.length; i += HUBSPOT_BATCH_SIZE) out.push(values.slice(i, i + HUBSPOT_BATCH_SIZE));
  return out;
}

/**
 * `count` of the workload's operations one after another, after `warmUp` untimed ones (its first
 * connections, the JIT), each timed from its first request to its last answer read whole; the
 * latencies in ms, and the requests sent to each provider by the timed ones.
 */
export async function timeChain(sims: SimulatorAddresses, workload: Workload & { id: ChainWorkload }, { count, warmUp }: { count: number; warmUp: number }): Promise<{ samplesMs: number[]; sent: Record<Provider, number> }> {
  const { variables } = JSON.parse(workload.bodies[0] ?? '{}') as { variables: { first?: number; id?: string } };
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const sent: Record<Provider, number> = { customers: 0, stripe: 0, hubspot: 0 };
  const send = client(agent, sims, sent);
  try {
    for (let i = 0; i < warmUp; i += 1) await operation(send, workload.id, variables);
    for (const provider of PROVIDERS) sent[provider] = 0;
    const samplesMs: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const start = performance.now();
      await operation(send, workload.id, variables);
      samplesMs.push(Math.round((performance.now() - start) * 1000) / 1000); // µs: what the clock can tell
    }
    return { samplesMs, sent };
  } finally {
    await agent.close();
  }
}
