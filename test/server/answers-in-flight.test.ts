import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/model/global-id.ts';
import { AnswersInFlight, type SharedAnswer } from '../../src/server/answers-in-flight.ts';
import type { OperationContext } from '../../src/server/operation-context.ts';
import { registerResultCache, resultCachePlugin, type ResultTicket } from '../../src/server/result-cache-hooks.ts';
import { CallContext } from '../../src/upstream/call-context.ts';
import { UpstreamReport } from '../../src/upstream/upstream-report.ts';
import { startSimulators, type SimulatorSet } from '../../src/simulators/index.ts';
import { eventually } from '../support/eventually.ts';
import { GatewayStack, type GraphQLResponse } from '../support/gateway-stack.ts';

/** Until `check` stops throwing (eventually() takes a boolean probe). */
const until = (check: () => unknown) =>
  eventually(async () => {
    try {
      await check();
      return true;
    } catch {
      return false;
    }
  });

/** Followers are told on the turn after the leader settles. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('AnswersInFlight', () => {
  const answer: SharedAnswer = { data: Buffer.from('{"data":{"a":1}'), estimate: undefined };

  it('makes the first request with a key lead and tells the later ones its answer', async () => {
    const inFlight = new AnswersInFlight();
    const told: Array<SharedAnswer | undefined> = [];
    const settle = inFlight.enter('k', () => told.push(undefined))!;
    expect(settle).toBeTypeOf('function');
    expect(inFlight.enter('k', (a) => told.push(a))).toBeUndefined();
    expect(inFlight.enter('k', (a) => told.push(a))).toBeUndefined();
    expect(inFlight.waiting).toBe(2);
    settle(answer);
    settle(undefined); // a second settle (the leader's 'close' after its onSend) changes nothing
    expect(told).toEqual([]); // not inside the leader's own hook
    await nextTurn();
    expect(told).toEqual([answer, answer]);
    expect(inFlight.waiting).toBe(0);
    expect(inFlight.size).toBe(0);
    expect(inFlight.enter('k', () => {})).toBeTypeOf('function'); // the next one leads again
  });

  it('lets the followers run their own when the answer cannot be shared', async () => {
    const inFlight = new AnswersInFlight();
    const told: Array<SharedAnswer | undefined> = [];
    const settle = inFlight.enter('k', () => {})!;
    inFlight.enter('k', (a) => told.push(a));
    settle(undefined);
    await nextTurn();
    expect(told).toEqual([undefined]);
  });

  it('tells every follower even when one throws, and reports it', async () => {
    const errors: unknown[] = [];
    const inFlight = new AnswersInFlight((error) => errors.push(error));
    const told: string[] = [];
    const settle = inFlight.enter('k', () => {})!;
    inFlight.enter('k', () => {
      throw new Error('broken follower');
    });
    inFlight.enter('k', () => told.push('second'));
    settle(answer);
    await nextTurn();
    expect(told).toEqual(['second']);
    expect(errors).toEqual([new Error('broken follower')]);
  });

  it('keeps keys apart', () => {
    const inFlight = new AnswersInFlight();
    expect(inFlight.enter('a', () => {})).toBeTypeOf('function');
    expect(inFlight.enter('b', () => {})).toBeTypeOf('function');
    expect(inFlight.size).toBe(2);
  });

  it('after a clear, new requests lead; the old leader still answers its own followers and leaves the new leader be', async () => {
    const inFlight = new AnswersInFlight();
    const told: string[] = [];
    const old = inFlight.enter('k', () => {})!;
    inFlight.enter('k', () => told.push('before'));
    inFlight.clear();
    const fresh = inFlight.enter('k', () => {})!;
    expect(fresh).toBeTypeOf('function');
    inFlight.enter('k', () => told.push('after'));
    old(answer);
    await nextTurn();
    expect(told).toEqual(['before']);
    expect(inFlight.size).toBe(1); // the new leader's entry is still there
    fresh(answer);
    await nextTurn();
    expect(told).toEqual(['before', 'after']);
  });

  it('holds at most 1024 requests behind one operation; more run their own', () => {
    const inFlight = new AnswersInFlight();
    inFlight.enter('k', () => {});
    for (let n = 0; n < 1024; n += 1) expect(inFlight.enter('k', () => {})).toBeUndefined();
    expect(inFlight.enter('k', () => {})).toBeTypeOf('function');
  });
});

describe('which answers are shared', () => {
  /** What resultCachePlugin decides for one answer to a request that leads others and has no result cache. */
  async function decide(answer: { errors?: unknown[]; stale?: boolean; operation?: 'query' | 'mutation' }): Promise<ResultTicket['keep']> {
    const report = new UpstreamReport();
    if (answer.stale) report.recordStale('stripe', 40_000);
    const ticket: ResultTicket = { ticket: undefined, share: () => {} };
    const contextValue = { resultTicket: ticket, call: new CallContext(report, 5000), report, estimate: undefined } as unknown as OperationContext;
    const listener = await resultCachePlugin(() => 0).requestDidStart!({} as never);
    await listener!.willSendResponse!({
      response: { body: { kind: 'single', singleResult: { data: { a: 1 }, ...(answer.errors ? { errors: answer.errors } : {}) } } },
      contextValue,
      operation: { operation: answer.operation ?? 'query' },
      document: undefined,
    } as never);
    return ticket.keep;
  }

  it('shares a query\'s error-free answer, not kept (no result cache)', async () => {
    expect(await decide({})).toMatchObject({ ttlMs: 0, suffix: '}\n' });
  });

  it('never an answer with errors, with stale data (its followers\' report would hide it), or a mutation\'s', async () => {
    expect(await decide({ errors: [{ message: 'x' }] })).toBeUndefined();
    expect(await decide({ stale: true })).toBeUndefined();
    expect(await decide({ operation: 'mutation' })).toBeUndefined();
  });
});

describe('a request that waited on an answer it could not share', () => {
  it('runs its own, told how long it waited (create-gateway.ts takes that off its deadline)', async () => {
    const fastify = Fastify();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let runs = 0;
    const inFlight = new AnswersInFlight();
    const ticketOf = registerResultCache(fastify, { cache: undefined, inFlight, partitionOf: () => 't', persistedDocumentOf: undefined, closingOf: () => Buffer.from('}\n') });
    fastify.post('/graphql', async (req, reply) => {
      runs += 1;
      if (runs === 1) {
        await gate;
        return reply.code(502).send({ errors: [{ message: 'the leader failed' }] }); // not shareable
      }
      return { waitedMs: ticketOf(req)?.waitedMs ?? null };
    });
    try {
      const body = { query: '{ a }' };
      const leader = fastify.inject({ method: 'POST', url: '/graphql', payload: body });
      await until(() => expect(runs).toBe(1));
      const follower = fastify.inject({ method: 'POST', url: '/graphql', payload: body });
      await until(() => expect(inFlight.waiting).toBe(1));
      expect(runs).toBe(1);
      release();
      expect((await leader).statusCode).toBe(502);
      const answer = (await follower).json<{ waitedMs: number | null }>();
      expect(runs).toBe(2);
      expect(answer.waitedMs).toBeGreaterThan(0);
      // One that never waited runs with its whole deadline.
      expect((await fastify.inject({ method: 'POST', url: '/graphql', payload: body })).json()).toEqual({ waitedMs: null });
    } finally {
      await fastify.close();
    }
  });
});

/**
 * Stripe behind a door the test opens: requests are held until `release`, so that "in flight"
 * is a state the test controls rather than a race with the simulator's latency.
 */
class HeldStripe {
  private readonly held: Array<{ req: IncomingMessage; res: ServerResponse; body: Buffer }> = [];
  /** Open: requests go straight on to Stripe. */
  open = false;
  private constructor(
    private readonly server: Server,
    private readonly target: string,
  ) {}

  static async start(target: string): Promise<HeldStripe> {
    let door: HeldStripe | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        door!.held.push({ req, res, body: Buffer.concat(chunks) });
        if (door!.open) void door!.release();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    door = new HeldStripe(server, target);
    return door;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get waiting(): number {
    return this.held.length;
  }

  /** Sends every held request on to Stripe, or answers it with Stripe's 400 `refused`. */
  async release(how: 'pass' | 'refuse' = 'pass'): Promise<void> {
    const batch = this.held.splice(0);
    await Promise.all(
      batch.map(async ({ req, res, body }) => {
        if (how === 'refuse') {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { type: 'invalid_request_error', message: 'refused by the test' } }));
          return;
        }
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name !== 'host' && name !== 'connection'));
        const upstream = await request(`${this.target}${req.url}`, { method: req.method as 'GET', headers: headers as Record<string, string>, ...(body.length > 0 ? { body } : {}) });
        const answer = Buffer.from(await upstream.body.arrayBuffer());
        const back = Object.fromEntries(Object.entries(upstream.headers).filter(([name]) => name !== 'transfer-encoding' && name !== 'connection'));
        res.writeHead(upstream.statusCode, back as Record<string, string>).end(answer);
      }),
    );
  }

  close(): Promise<void> {
    for (const { res } of this.held.splice(0)) res.destroy();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A gateway (remote mode, `env` on top) in front of fresh simulators, Stripe behind a held door. */
async function withHeldStripe(env: Record<string, string>, test: (setup: { simulators: SimulatorSet; stripe: HeldStripe; stack: GatewayStack }) => Promise<void>): Promise<void> {
  const simulators = await startSimulators();
  const stripe = await HeldStripe.start(simulators.stripe.url);
  const stack = await GatewayStack.startRemote(simulators, { ...env, STRIPE_API_URL: stripe.url });
  try {
    await test({ simulators, stripe, stack });
  } finally {
    await stack.close();
    await stripe.close();
    await simulators.close();
  }
}

describe('identical queries in flight', () => {
  let simulators: SimulatorSet;
  let stripe: HeldStripe;
  let stack: GatewayStack;
  beforeAll(async () => {
    simulators = await startSimulators();
    stripe = await HeldStripe.start(simulators.stripe.url);
    // Nothing kept, as the bench's cold system runs: what is shared is only what is in flight.
    stack = await GatewayStack.startRemote(simulators, { STRIPE_API_URL: stripe.url, CACHE_ENABLED: 'false', ACCESS_LOG: 'on', LOG_LEVEL: 'info' });
  });
  afterEach(async () => {
    stripe.open = false;
    await stripe.release();
  });
  afterAll(async () => {
    await stack.close();
    await stripe.close();
    await simulators.close();
  });

  const query = `query Payments($id: ID!) { customer(id: $id) { name payments(first: 2) { edges { node { id status } } } } }`;
  const linked = () => simulators.dataset.customers.filter((c) => c.externalRefs.stripe !== null);
  const idOf = (n: number) => toGlobalId('Customer', linked()[n]!.id);
  const send = (id: string) => stack.query<{ customer: { name: string } }>(query, { id });
  const stripeRequests = async () => (await stack.simStats('stripe')).requests;

  it('answers them once: the others wait for the first one\'s answer and get its data, with a report of no upstream call', async () => {
    const before = await stripeRequests();
    const first = send(idOf(0));
    await until(() => expect(stripe.waiting).toBe(1));
    const others = Array.from({ length: 4 }, () => send(idOf(0)));
    await until(() => expect(stack.gateway.sharedAnswers().waiting).toBe(4));
    expect(stripe.waiting).toBe(1);
    await stripe.release();
    const [led, ...shared] = await Promise.all([first, ...others]);
    expect(led!.errors).toBeUndefined();
    expect(led!.data?.customer.name).toBe(linked()[0]!.name);
    expect(led!.extensions?.upstream?.stripe.calls).toBe(1);
    for (const answer of shared) {
      expect(answer.errors).toBeUndefined();
      expect(answer.data).toEqual(led!.data);
      expect(answer.extensions?.upstream).toMatchObject({ customers: { calls: 0 }, stripe: { calls: 0 }, hubspot: { calls: 0 } });
    }
    expect((await stripeRequests()) - before).toBe(1);
    expect(stack.gateway.sharedAnswers().waiting).toBe(0);
    const scraped = await (await request(stack.gateway.metricsUrl!)).body.text();
    expect(scraped).toMatch(/^tributary_graphql_shared_answers_total 4$/m);
    expect(scraped).toMatch(/^tributary_graphql_requests_total\{operation="Payments",type="query"\} 5$/m);
    await until(() => expect(stack.logs.filter((line) => line.includes('"sharedAnswer":true')).length).toBe(4));
  });

  it('does not hold a query behind another with other variables', async () => {
    const a = send(idOf(1));
    await until(() => expect(stripe.waiting).toBe(1));
    const b = send(idOf(2));
    await until(() => expect(stripe.waiting).toBe(2));
    expect(stack.gateway.sharedAnswers().waiting).toBe(0);
    await stripe.release();
    const [first, second] = await Promise.all([a, b]);
    expect(first.data?.customer.name).toBe(linked()[1]!.name);
    expect(second.data?.customer.name).toBe(linked()[2]!.name);
  });

  it('never shares an answer with errors: the requests that waited run their own', async () => {
    const first = send(idOf(3));
    await until(() => expect(stripe.waiting).toBe(1));
    const others = Array.from({ length: 2 }, () => send(idOf(3)));
    await until(() => expect(stack.gateway.sharedAnswers().waiting).toBe(2));
    // The two that waited now run their own, through an open door.
    stripe.open = true;
    await stripe.release('refuse');
    const refused = await first;
    expect(refused.errors?.length).toBeGreaterThan(0);
    expect(refused.data?.customer.name).toBe(linked()[3]!.name); // the rest of the answer still arrives
    for (const answer of await Promise.all(others)) {
      expect(answer.errors).toBeUndefined();
      expect(answer.data?.customer.name).toBe(linked()[3]!.name);
    }
  });

  it('keeps the followers waiting when the leader\'s client hangs up: its operation still answers them', async () => {
    const before = await stripeRequests();
    const gone = new AbortController();
    const leader = request(stack.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables: { id: idOf(5) } }), signal: gone.signal });
    await until(() => expect(stripe.waiting).toBe(1));
    const follower = send(idOf(5));
    await until(() => expect(stack.gateway.sharedAnswers().waiting).toBe(1));
    gone.abort();
    await expect(leader).rejects.toThrow();
    expect(stack.gateway.sharedAnswers().waiting).toBe(1);
    await stripe.release();
    const answer = await follower;
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.customer.name).toBe(linked()[5]!.name);
    expect(answer.extensions?.upstream?.stripe.calls).toBe(0); // the leader's answer
    expect((await stripeRequests()) - before).toBe(1);
  });

  it('does not hold a request sent after an invalidation behind an operation begun before it', async () => {
    const first = send(idOf(4));
    await until(() => expect(stripe.waiting).toBe(1));
    await stack.gateway.invalidate('stripe', 'stripe.charges', linked()[4]!.externalRefs.stripe!);
    const after = send(idOf(4));
    await until(() => expect(stripe.waiting).toBe(2));
    expect(stack.gateway.sharedAnswers().waiting).toBe(0);
    await stripe.release();
    for (const answer of await Promise.all([first, after])) expect(answer.errors).toBeUndefined();
  });
});

describe('identical queries in flight, as deployed (result cache on)', () => {
  it('shares, and a request sent after this instance\'s own write does not wait on an operation begun before it', async () => {
    await withHeldStripe({}, async ({ simulators, stripe, stack }) => {
      const customer = simulators.dataset.customers.find((c) => c.externalRefs.stripe !== null)!;
      const id = toGlobalId('Customer', customer.id);
      const query = `query($id: ID!) { customer(id: $id) { name payments(first: 1) { edges { node { id } } } } }`;
      const first = stack.query<{ customer: { name: string } }>(query, { id });
      await until(() => expect(stripe.waiting).toBe(1));
      const joined = stack.query<{ customer: { name: string } }>(query, { id });
      await until(() => expect(stack.gateway.sharedAnswers().waiting).toBe(1));
      const changed = await stack.post<{ updateCustomer: { customer: { name: string } | null } }>(
        `mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) { customer { name } } }`,
        { input: { id, name: 'Renamed While Read' } },
      );
      expect(changed.body.data?.updateCustomer.customer?.name).toBe('Renamed While Read');
      const entered = () => stack.gateway.sharedAnswers().running + stack.gateway.sharedAnswers().waiting;
      const before = entered();
      const after = stack.query<{ customer: { name: string } }>(query, { id });
      // It leads an operation of its own instead of waiting on the one begun before the write.
      await until(() => expect(entered()).toBe(before + 1));
      expect(stack.gateway.sharedAnswers()).toEqual({ running: 1, waiting: 1 });
      stripe.open = true;
      await stripe.release();
      const [a, b, c] = await Promise.all([first, joined, after]);
      expect(a.data?.customer.name).toBe(customer.name);
      expect(b.data).toEqual(a.data); // sent before the write: the answer of the operation it joined
      expect(b.extensions?.upstream?.stripe.calls).toBe(0);
      expect(c.data?.customer.name).toBe('Renamed While Read');
    });
  });
});

describe('identical queries in flight, as deployed: a follower that runs its own', () => {
  it('keeps its answer in the result cache like any other miss', async () => {
    await withHeldStripe({}, async ({ simulators, stripe, stack }) => {
      const id = toGlobalId('Customer', simulators.dataset.customers.find((c) => c.externalRefs.stripe !== null)!.id);
      const query = `query($id: ID!) { customer(id: $id) { name payments(first: 1) { edges { node { id } } } } }`;
      const first = stack.query(query, { id });
      await until(() => expect(stripe.waiting).toBe(1));
      const follower = stack.query(query, { id });
      await until(() => expect(stack.gateway.sharedAnswers().waiting).toBe(1));
      stripe.open = true;
      await stripe.release('refuse'); // the leader's answer has an error: not shared, not kept
      expect((await first).errors?.length).toBeGreaterThan(0);
      const ran = await follower;
      expect(ran.errors).toBeUndefined();
      expect(ran.extensions?.upstream?.stripe.calls).toBe(1);
      const replayed = await stack.query(query, { id });
      expect(replayed.data).toEqual(ran.data);
      expect(replayed.extensions?.upstream).toMatchObject({ customers: { calls: 0, cacheHits: 0 }, stripe: { calls: 0, cacheHits: 0 } });
    });
  });
});

describe('identical queries in flight, with SHARE_IDENTICAL_OPERATIONS=false', () => {
  it('runs every request', async () => {
    await withHeldStripe({ CACHE_ENABLED: 'false', SHARE_IDENTICAL_OPERATIONS: 'false' }, async ({ simulators, stripe, stack }) => {
      const id = toGlobalId('Customer', simulators.dataset.customers.find((c) => c.externalRefs.stripe !== null)!.id);
      const query = `query($id: ID!) { customer(id: $id) { payments(first: 1) { edges { node { id } } } } }`;
      const customerReads = async () => (await stack.simStats('customers')).requests;
      const before = await customerReads();
      const answers: Array<Promise<GraphQLResponse>> = [stack.query(query, { id })];
      await until(() => expect(stripe.waiting).toBe(1));
      answers.push(stack.query(query, { id }));
      // Nothing is kept, so the second runs its own customer read (its Stripe read joins the first's, in flight).
      await until(async () => expect((await customerReads()) - before).toBe(2));
      expect(stack.gateway.sharedAnswers().waiting).toBe(0);
      stripe.open = true;
      await stripe.release();
      for (const answer of await Promise.all(answers)) expect(answer.errors).toBeUndefined();
      expect(await (await request(stack.gateway.metricsUrl!)).body.text()).toMatch(/^tributary_graphql_shared_answers_total 0$/m);
    });
  });
});
