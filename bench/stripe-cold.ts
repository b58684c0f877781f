// The Stripe part of one cold Customer 360 page, read with a list per customer or with Search
// (issue 13, item 5): simulators at 20 ms per answer, Stripe held to its test-key limits (25
// requests/s, 20/s of them for search), the gateway's quota guard told the same. Each run starts
// a fresh gateway (empty cache, empty quota log) and reset simulators (empty rate windows), so
// every run is the first page a new instance serves. Usage:
//   npm run bench:stripe-cold -- [--runs 5] [--pages 4] [--latency 20]
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { startSimulators, type SimulatorSet } from '../src/simulators/index.ts';
import { GatewayStack } from '../test/support/gateway-stack.ts';
import { CUSTOMER_360 } from '../test/support/queries.ts';
import { encodeCursor } from '../src/model/connection.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    pages: { type: 'string', default: '4' },
    latency: { type: 'string', default: '20' },
  },
});
const RUNS = Number(values.runs);
const PAGES = Number(values.pages);
const LATENCY_MS = Number(values.latency);
const PAGE_SIZE = 50;
const MODES = ['list', 'search'] as const;
type Mode = (typeof MODES)[number];

/** Only what the Stripe part needs: the customer page (1 call) then each customer's payments. */
const PAYMENTS_ONLY = /* GraphQL */ `
  query Payments($first: Int!, $after: String) {
    customers(first: $first, after: $after) {
      edges { cursor node { id payments(first: 5) { edges { node { id status } } pageInfo { hasNextPage endCursor } } } }
      pageInfo { endCursor }
    }
  }
`;

interface Payments { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } }
interface Page { customers: { edges: Array<{ cursor: string; node: { id: string; payments: Payments } }>; pageInfo: { endCursor: string } } }

interface Sample {
  ms: number;
  stripeCalls: number;
  quotaWaits: number;
  quotaWaitMs: number;
  /** customer id → payment ids and hasNextPage, to compare the two modes' answers. */
  payments: Map<string, string>;
}

async function onePage(stack: GatewayStack, after: string | null, query = CUSTOMER_360): Promise<Sample & { endCursor: string }> {
  const started = performance.now();
  const answer = await stack.query<Page>(query, { first: PAGE_SIZE, after });
  const ms = performance.now() - started;
  if (answer.errors?.length) throw new Error(`errors: ${JSON.stringify(answer.errors.slice(0, 2))}`);
  const stripe = answer.extensions?.upstream?.stripe;
  const edges = answer.data!.customers.edges;
  const payments = new Map(edges.map((edge) => [edge.node.id, `${edge.node.payments.edges.map((e) => e.node.id).join(',')} more=${edge.node.payments.pageInfo.hasNextPage}`]));
  return { ms, stripeCalls: stripe?.calls ?? 0, quotaWaits: stripe?.quotaWaits ?? 0, quotaWaitMs: stripe?.quotaWaitMs ?? 0, payments, endCursor: answer.data!.customers.pageInfo.endCursor };
}

async function fresh(sims: SimulatorSet, mode: Mode): Promise<GatewayStack> {
  const stack = await GatewayStack.startRemote(sims, { STRIPE_CHARGES_READ: mode, LOG_LEVEL: 'warn' });
  await stack.resetAll();
  await Promise.all((['customers', 'stripe', 'hubspot'] as const).map((p) => stack.simAdmin(p, 'faults', { latencyMs: LATENCY_MS })));
  return stack;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;

const sims = await startSimulators({ latencyMs: LATENCY_MS });
const linked = sims.dataset.customers.slice(0, PAGE_SIZE).filter((c) => c.externalRefs.stripe !== null).length;
console.log(`Customer 360, first page of ${PAGE_SIZE} customers (${linked} linked to Stripe), payments(first: 5); ${LATENCY_MS} ms per upstream answer; Stripe test-key limits`);
{
  // How much one search page must hold: each batch of ten linked customers' charges.
  const counts = new Map<string, number>();
  for (const charge of sims.dataset.stripe.charges) counts.set(charge.customer, (counts.get(charge.customer) ?? 0) + 1);
  const refs = sims.dataset.customers.slice(0, PAGE_SIZE).flatMap((c) => (c.externalRefs.stripe ? [c.externalRefs.stripe] : []));
  const perCustomer = refs.map((ref) => counts.get(ref) ?? 0);
  const batches = Array.from({ length: Math.ceil(refs.length / 10) }, (_, i) => perCustomer.slice(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0));
  console.log(`charges per linked customer: max ${Math.max(...perCustomer)}, ${perCustomer.filter((n) => n > 5).length} of ${refs.length} have more than 5; per batch of 10: ${batches.join(', ')} (a search page holds 100)`);
}
const answers = new Map<Mode, Map<string, string>>();
try {
  for (const mode of MODES) {
    for (const [name, query] of [['payments only (floor 40 ms)', PAYMENTS_ONLY], ['whole Customer 360', CUSTOMER_360]] as const) {
      const samples: Sample[] = [];
      for (let run = 0; run < RUNS; run++) {
        const stack = await fresh(sims, mode);
        try {
          samples.push(await onePage(stack, null, query));
        } finally {
          await stack.close();
        }
      }
      if (query === CUSTOMER_360) answers.set(mode, samples[0]!.payments);
      console.log(
        `${mode.padEnd(6)} one cold page, ${name}, ${RUNS} runs: ${fmt(samples.map((s) => s.ms))} ms; Stripe calls ${fmt(samples.map((s) => s.stripeCalls))}; ` +
          `calls that waited for Stripe quota ${fmt(samples.map((s) => s.quotaWaits))}, ${fmt(samples.map((s) => s.quotaWaitMs))} ms waited in all`,
      );
    }

    // Consecutive cold pages on one instance: what the quota allows once the first burst is spent.
    const stack = await fresh(sims, mode);
    try {
      let after: string | null = null;
      const started = performance.now();
      let calls = 0;
      for (let page = 0; page < PAGES; page++) {
        const sample = await onePage(stack, after);
        after = sample.endCursor ?? encodeCursor('customer', '');
        calls += sample.stripeCalls;
      }
      const seconds = (performance.now() - started) / 1000;
      console.log(`${mode.padEnd(6)} ${PAGES} consecutive cold pages: ${seconds.toFixed(2)} s (${(PAGES / seconds).toFixed(2)} pages/s), ${calls} Stripe calls`);
    } finally {
      await stack.close();
    }
  }
  const [list, search] = [answers.get('list')!, answers.get('search')!];
  const differ = [...list].filter(([id, payments]) => search.get(id) !== payments).map(([id]) => id);
  console.log(differ.length === 0 ? 'answers: payments and hasNextPage identical in both modes' : `answers differ for ${differ.length} customers: ${differ.slice(0, 5).join(', ')}`);
} finally {
  await sims.close();
}
