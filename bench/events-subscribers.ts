import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import { Pool } from 'undici';
import WebSocket from 'ws';
import { fromGlobalId, toGlobalId } from '../src/model/global-id.ts';
import { DatasetLookup, type Dataset, type StripeCharge } from '../src/simulators/index.ts';
import { BENCH_API_KEY } from './bench-credentials.ts';
import { percentiles, refundable, signedRefunds, type Percentiles, type SignedDelivery } from './events-stripe.ts';
import type { SimAdmin } from './sim-admin.ts';
import { trafficBetween } from './sim-admin.ts';

/** One subscribed customer: the charge the warm-up round refunds, then those the measured round does. */
export interface SubscribedCustomer {
  /** `Customer.id`, as `paymentChanged(customerId:)` takes it. */
  globalId: string;
  warmUp: StripeCharge;
  measured: StripeCharge[];
}

/**
 * The first `count` customers (by id) whose Stripe customer exists and who have `1 + measured`
 * charges a refund changes. Deterministic: the simulators' dataset has a fixed seed.
 */
export function pickCustomers(dataset: Dataset, count: number, measured: number): SubscribedCustomer[] {
  const lookup = new DatasetLookup(dataset);
  const picked: SubscribedCustomer[] = [];
  for (const customer of dataset.customers) {
    // Empty for a customer without a Stripe customer, or whose reference dangles.
    const charges = refundable(lookup.chargesOf(customer.id));
    if (charges.length < 1 + measured) continue;
    picked.push({ globalId: toGlobalId('Customer', customer.id), warmUp: charges[0] as StripeCharge, measured: charges.slice(1, 1 + measured) });
    if (picked.length === count) return picked;
  }
  throw new RangeError(`only ${picked.length} customers have ${1 + measured} refundable charges; ${count} were asked for`);
}

export interface SubscribersOptions {
  origin: string;
  customers: readonly SubscribedCustomer[];
  /** graphql-ws clients (one connection and one subscription each) per customer. */
  perCustomer: number;
  /** Between two measured POSTs: an open loop, so a slow delivery does not slow the offered rate. */
  intervalMs: number;
  secret: string;
  /** Makes this run's event ids its own. */
  tag: string;
  admin: SimAdmin;
  /** The gateway's resident set now and at its peak, in bytes. */
  rss: () => { now: number | null; peak: number | null };
  progress: (line: string) => void;
}

export interface SubscribersResult {
  subscribers: number;
  customers: number;
  /** Of the warm-up round's deliveries (one event per customer), how many arrived before the measured round. */
  warmUp: { expected: number; received: number };
  events: number;
  /** Events answered 2xx by the webhook endpoint. */
  accepted: number;
  expected: number;
  received: number;
  /** Deliveries whose payment was not yet REFUNDED: read from a copy the event had not reached. */
  stale: number;
  /** Subscription errors (an `error` message, or a result with errors). */
  errors: number;
  /** From just before each event's POST to each subscriber's `next`, over every delivery. */
  latencyMs: Percentiles;
  /** Provider calls the gateway made while the measured events were delivered: 0 with a warm cache. */
  upstreamCalls: { customers: number; stripe: number; hubspot: number };
  rssBytes: number | null;
  peakRssBytes: number | null;
}

const SUBSCRIPTION = 'subscription Payments($customerId: ID!) { paymentChanged(customerId: $customerId) { id status amountRefunded { minorUnits } } }';
/** Connections opened at once: a thousand at a time would overflow the listen backlog. */
const CONNECT_BATCH = 100;
const CONNECT_TIMEOUT_MS = 30_000; // 30s
/** How long deliveries may keep arriving after the last POST before the round is called over. */
const DELIVERY_GRACE_MS = 10_000; // 10s
const WARM_UP_TIMEOUT_MS = 30_000; // 30s
const POLL_MS = 20;
/** `nodes(ids:)` per warming request. */
const WARM_BATCH = 50;

/**
 * 1,000 subscribers (by default) of `paymentChanged`, spread evenly over the customers; their
 * charges read once over HTTP so the gateway's cache holds them; a warm-up round of one event per
 * customer (it also proves every subscription is live); then the measured round.
 */
export async function measureSubscribers(options: SubscribersOptions): Promise<SubscribersResult> {
  const { customers, perCustomer } = options;
  await warmCharges(options.origin, customers.flatMap((customer) => [customer.warmUp, ...customer.measured]));

  const sentAt = new Map<string, number>();
  const warmUpCharges = new Set(customers.map((customer) => customer.warmUp.id));
  const latencies: number[] = [];
  let warmUpReceived = 0;
  let stale = 0;
  let errors = 0;
  const onNext = (result: { data?: unknown; errors?: unknown }) => {
    const at = performance.now();
    const payment = (result.data as { paymentChanged?: { id: string; status: string } | null } | undefined)?.paymentChanged;
    if (result.errors || !payment) {
      errors += 1;
      return;
    }
    const chargeId = fromGlobalId(payment.id).id;
    if (warmUpCharges.has(chargeId)) {
      warmUpReceived += 1;
      return;
    }
    const sent = sentAt.get(chargeId);
    if (sent === undefined) return;
    latencies.push(at - sent);
    if (payment.status !== 'REFUNDED') stale += 1;
  };

  const clients: Client[] = [];
  try {
    options.progress(`events: connecting ${customers.length * perCustomer} subscribers (${perCustomer} per customer, ${customers.length} customers)`);
    for (let start = 0; start < customers.length * perCustomer; start += CONNECT_BATCH) {
      const batch = Array.from({ length: Math.min(CONNECT_BATCH, customers.length * perCustomer - start) }, (_, i) => customers[(start + i) % customers.length] as SubscribedCustomer);
      const opened = batch.map((customer) => subscriber(options.origin, customer.globalId, { next: onNext, error: () => (errors += 1) }));
      clients.push(...opened.map((o) => o.client));
      await Promise.all(opened.map((o) => o.connected));
    }
    const subscribers = customers.length * perCustomer;
    await until(async () => ((await readyz(options.origin)).subscribers ?? 0) >= subscribers, CONNECT_TIMEOUT_MS, 'every subscription to reach the change hub');

    options.progress('events: warm-up round, one event per customer');
    const warmUp = signedRefunds(
      customers.map((customer) => customer.warmUp),
      customers.length,
      { secret: options.secret, nowSec: Math.floor(Date.now() / 1000), tag: `${options.tag}w` },
    );
    const warmUpAccepted = await postPaced(options.origin, warmUp, options.intervalMs, () => {});
    if (warmUpAccepted < warmUp.length) {
      const statuses = [...refusals].map(([status, count]) => `${count}× HTTP ${status}`).join(', ') || 'no answer';
      throw new Error(`the webhook endpoint refused ${warmUp.length - warmUpAccepted} of the warm-up round's ${warmUp.length} events (${statuses})`);
    }
    // Not fatal: an event whose handling failed is retried after a backoff, and its deliveries come
    // late; the round goes on, and the results say how many had arrived.
    await until(() => warmUpReceived >= subscribers, WARM_UP_TIMEOUT_MS, 'the warm-up deliveries').catch(() => {
      options.progress(`events: only ${warmUpReceived} of the warm-up round's ${subscribers} deliveries arrived within ${WARM_UP_TIMEOUT_MS} ms; measuring anyway`);
    });
    const warmUpReceivedBeforeMeasuring = warmUpReceived;

    // Round-robin over the customers: consecutive events go to different subscribers.
    const rounds = Math.max(...customers.map((customer) => customer.measured.length));
    const charges = Array.from({ length: rounds }, (_, round) => customers.flatMap((customer) => customer.measured.slice(round, round + 1))).flat();
    const measured = signedRefunds(charges, charges.length, { secret: options.secret, nowSec: Math.floor(Date.now() / 1000), tag: `${options.tag}m` });
    const expected = measured.length * perCustomer;
    options.progress(`events: ${measured.length} events, one every ${options.intervalMs} ms, ${expected} deliveries expected`);
    const before = await options.admin.stats();
    const accepted = await postPaced(options.origin, measured, options.intervalMs, (delivery, at) => sentAt.set(delivery.chargeId, at));
    let lastCount = -1;
    let lastChange = performance.now();
    // Over when every delivery arrived, or when none has for DELIVERY_GRACE_MS.
    while (latencies.length < expected && performance.now() - lastChange < DELIVERY_GRACE_MS) {
      if (latencies.length !== lastCount) [lastCount, lastChange] = [latencies.length, performance.now()];
      await sleep(POLL_MS);
    }
    const after = await options.admin.settle();
    const traffic = trafficBetween(before, after);
    const rss = options.rss();
    return {
      subscribers,
      customers: customers.length,
      warmUp: { expected: subscribers, received: warmUpReceivedBeforeMeasuring },
      events: measured.length,
      accepted,
      expected,
      received: latencies.length,
      stale,
      errors,
      latencyMs: percentiles(latencies),
      upstreamCalls: { customers: traffic.customers.requests, stripe: traffic.stripe.requests, hubspot: traffic.hubspot.requests },
      rssBytes: rss.now,
      peakRssBytes: rss.peak,
    };
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
  }
}

/** What `/readyz` tells an `ops:read` principal about events. */
export async function readyz(origin: string): Promise<{ subscribers: number | null; backlog: number | null; events: unknown }> {
  const response = await fetch(`${origin}/readyz`, { headers: { authorization: `Bearer ${BENCH_API_KEY}` }, signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as { events?: { subscribers?: number; backlog?: number | null } };
  return { subscribers: body.events?.subscribers ?? null, backlog: body.events?.backlog ?? null, events: body.events ?? null };
}

/** Polls `done` every POLL_MS; throws naming `what` when it is not done within `timeoutMs`. */
export async function until(done: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

// Private: the clients, the POSTs and the warm cache.

function subscriber(origin: string, customerId: string, sink: { next: (result: { data?: unknown; errors?: unknown }) => void; error: () => void }): { client: Client; connected: Promise<void> } {
  let connected: () => void = () => {};
  let failed: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => ([connected, failed] = [resolve, reject]));
  const timer = setTimeout(() => failed(new Error(`a subscriber did not connect within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
  const client = createClient({
    url: `${origin.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${BENCH_API_KEY}` },
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: (error) => failed(new Error(`a subscriber's connection failed: ${String((error as { reason?: unknown }).reason ?? error)}`)),
    on: { connected: () => connected() },
  });
  client.subscribe({ query: SUBSCRIPTION, variables: { customerId } }, { next: sink.next, error: sink.error, complete: () => {} });
  return { client, connected: ready.finally(() => clearTimeout(timer)) };
}

/**
 * Posts the deliveries one every `intervalMs`, not waiting for answers (an open loop), `onSend`
 * called just before each; resolves with how many were answered 2xx once all are answered.
 */
/** Non-2xx answers by status, for the failure message. */
const refusals = new Map<number, number>();

async function postPaced(origin: string, deliveries: readonly SignedDelivery[], intervalMs: number, onSend: (delivery: SignedDelivery, at: number) => void): Promise<number> {
  const pool = new Pool(origin, { connections: 8 });
  const started = performance.now();
  const answers: Array<Promise<boolean>> = [];
  try {
    for (const [n, delivery] of deliveries.entries()) {
      const wait = started + n * intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      onSend(delivery, performance.now());
      answers.push(
        pool
          .request({ path: '/webhooks/stripe', method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': delivery.signature }, body: delivery.body })
          .then(async (response) => {
            await response.body.dump();
            const ok = response.statusCode >= 200 && response.statusCode < 300;
            if (!ok) refusals.set(response.statusCode, (refusals.get(response.statusCode) ?? 0) + 1);
            return ok;
          })
          .catch(() => false),
      );
    }
    return (await Promise.all(answers)).filter(Boolean).length;
  } finally {
    await pool.close();
  }
}

/** Reads every charge once through `nodes(ids:)`, so the gateway's entity cache holds them. */
async function warmCharges(origin: string, charges: readonly StripeCharge[]): Promise<void> {
  const query = 'query Warm($ids: [ID!]!) { nodes(ids: $ids) { id ... on Payment { status } } }';
  for (let start = 0; start < charges.length; start += WARM_BATCH) {
    const ids = charges.slice(start, start + WARM_BATCH).map((charge) => toGlobalId('Payment', charge.id));
    const response = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_API_KEY}` },
      body: JSON.stringify({ query, variables: { ids } }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json()) as { errors?: unknown; data?: { nodes: Array<unknown> } };
    if (response.status !== 200 || body.errors || body.data?.nodes.some((node) => node === null)) {
      throw new Error(`warming the charges failed: HTTP ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
    }
  }
}
