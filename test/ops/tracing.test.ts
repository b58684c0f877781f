import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/server/create-gateway.ts';
import { simulatorEndpoints } from '../../src/server/start.ts';
import { startSimulators, type SimStats, type SimulatorSet } from '../../src/simulators/index.ts';
import type { GraphQLResponse } from '../support/gateway-stack.ts';
import { CUSTOMER_360 } from '../support/queries.ts';

const PROVIDERS = ['customers', 'stripe', 'hubspot'] as const;

/** One gateway in front of the shared simulators; `exporter` absent: tracing off, as with no OTEL_* set. */
async function gatewayFor(simulators: SimulatorSet, env: Record<string, string>, exporter: InMemorySpanExporter | undefined, now: () => number): Promise<Gateway> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env });
  return createGateway({
    config,
    tenants: [{ id: config.defaultTenantId, rateLimits: config.rateLimits, endpoints: simulatorEndpoints(simulators) }],
    now,
    ...(exporter ? { spanExporter: exporter } : {}),
  });
}

async function post(gateway: Gateway, query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphQLResponse> {
  const response = await request(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return (await response.body.json()) as GraphQLResponse;
}

const isBatch = (span: ReadableSpan) => span.name.startsWith('batch ');
const isAttempt = (span: ReadableSpan) => span.kind === SpanKind.CLIENT;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('OpenTelemetry traces of the Customer 360 page', () => {
  let simulators: SimulatorSet;
  /** Traced, no result cache: every repeat runs, so a warm one shows its batches. */
  let traced: Gateway;
  /** Traced, with the result cache (the default): a repeat is replayed. */
  let replaying: Gateway;
  /** No exporter and no OTEL_*: tracing off. */
  let untraced: Gateway;
  const spans = new InMemorySpanExporter();
  const replayedSpans = new InMemorySpanExporter();
  // A clock that moves only when told: nothing cached expires between a cold page and its warm repeat.
  let now = Date.now();

  const sim = async (provider: (typeof PROVIDERS)[number], path: 'stats' | 'reset' | 'faults', body?: object): Promise<SimStats | undefined> => {
    const url = new URL(`/_sim/${path}`, simulators[provider].url);
    if (path === 'stats') return (await (await request(url)).body.json()) as SimStats;
    const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : '' });
    await response.body.dump();
    return undefined;
  };
  const stats = async () => Promise.all(PROVIDERS.map(async (provider) => (await sim(provider, 'stats'))!));
  /** The simulators in their seeded state with zeroed counters, the gateways' caches empty, no spans. */
  const fresh = async () => {
    await Promise.all(PROVIDERS.map((provider) => sim(provider, 'reset')));
    await Promise.all([traced.flushCache(), replaying.flushCache(), untraced.flushCache()]);
    spans.reset();
    replayedSpans.reset();
    now += 1; // the fetches that follow begin after the flush, not in its instant (whose writes it refuses)
  };

  beforeAll(async () => {
    simulators = await startSimulators({ host: '127.0.0.1' });
    traced = await gatewayFor(simulators, { RESULT_CACHE_MAX_BYTES: '0' }, spans, () => now);
    replaying = await gatewayFor(simulators, {}, replayedSpans, () => now);
    untraced = await gatewayFor(simulators, {}, undefined, () => now);
  });
  afterAll(async () => {
    await Promise.all([traced?.close(), replaying?.close(), untraced?.close()]);
    await simulators?.close();
  });

  it('makes one operation span, its DataLoader batches as children, each upstream attempt under its batch, and tells the providers the trace', async () => {
    await fresh();
    const answer = await post(traced, CUSTOMER_360, { first: 50 });
    expect(answer.errors).toBeUndefined();
    const finished = spans.getFinishedSpans();

    const roots = finished.filter((span) => parentOf(span) === undefined);
    expect(roots).toHaveLength(1);
    const operation = roots[0]!;
    expect(operation.name).toBe('query Customer360');
    expect(operation.kind).toBe(SpanKind.SERVER);
    expect(operation.attributes).toMatchObject({
      'graphql.operation.name': 'Customer360',
      'graphql.operation.type': 'query',
      'tributary.tenant': 'sample',
      'tributary.errors': 0,
      'tributary.result_cache.replayed': false,
    });
    expect(operation.status.code).not.toBe(SpanStatusCode.ERROR);
    const traceId = operation.spanContext().traceId;
    expect(new Set(finished.map((span) => span.spanContext().traceId))).toEqual(new Set([traceId]));

    const batches = finished.filter(isBatch);
    const attempts = finished.filter(isAttempt);
    // Every span is the operation, one of its batches, or an attempt: nothing hangs elsewhere.
    expect(batches.length + attempts.length + 1).toBe(finished.length);
    for (const batch of batches) expect(parentOf(batch)).toBe(operation.spanContext().spanId);
    expect(new Set(batches.map((batch) => batch.attributes['tributary.resource']))).toEqual(
      new Set(['customers.page', 'stripe.charges', 'hubspot.contact', 'hubspot.contactByEmail', 'hubspot.dealIds', 'hubspot.deal']),
    );
    // Cold: every batch missed (a contact another batch's answer stored first may hit), and says so.
    for (const batch of batches) {
      const { 'tributary.cache.miss': miss = 0, 'tributary.cache.hit': hit = 0 } = batch.attributes as Record<string, number>;
      expect(miss, batch.name).toBeGreaterThan(0);
      expect(miss + hit, batch.name).toBe(batch.attributes['tributary.batch.size']);
    }

    // The Customer 360 page makes no call outside a loader: every attempt is a batch's child.
    const batchIds = new Set(batches.map((batch) => batch.spanContext().spanId));
    expect(attempts.length).toBeGreaterThan(0);
    for (const attempt of attempts) {
      expect(batchIds.has(parentOf(attempt)!), attempt.name).toBe(true);
      // HubSpot's batch reads answer 207 when some inputs were not found.
      expect([200, 207]).toContain(attempt.attributes['http.response.status_code']);
      expect(attempt.attributes['tributary.attempt']).toBe(1);
      expect(attempt.attributes['error.type']).toBeUndefined();
      expect(attempt.attributes['url.path']).toEqual(expect.stringMatching(/^\/[^?]*$/));
      expect(attempt.attributes['tributary.resource']).toBe(batches.find((batch) => batch.spanContext().spanId === parentOf(attempt))!.attributes['tributary.resource']);
    }

    // What the providers saw: every request carried the operation's trace id, one per attempt span.
    const seen = await stats();
    for (const [index, provider] of PROVIDERS.entries()) {
      const mine = attempts.filter((attempt) => attempt.attributes['tributary.provider'] === provider);
      expect(seen[index]!.requests, provider).toBe(mine.length);
      expect(seen[index]!.traced, provider).toBe(mine.length);
      expect(seen[index]!.byTraceId, provider).toEqual({ [traceId]: mine.length });
    }
  });

  it('shows a warm repeat as batches that hit the entity cache, with no attempt at all', async () => {
    await fresh();
    await post(traced, CUSTOMER_360, { first: 50 });
    spans.reset();
    const before = await stats();
    const warm = await post(traced, CUSTOMER_360, { first: 50 });
    expect(warm.errors).toBeUndefined();
    const finished = spans.getFinishedSpans();
    expect(finished.filter(isAttempt)).toEqual([]);
    const batches = finished.filter(isBatch);
    expect(batches.length).toBeGreaterThan(0);
    for (const batch of batches) {
      expect(batch.attributes['tributary.cache.hit'], batch.name).toBe(batch.attributes['tributary.batch.size']);
      expect(batch.attributes['tributary.cache.miss'], batch.name).toBeUndefined();
    }
    expect((await stats()).map((s) => s.requests)).toEqual(before.map((s) => s.requests));
  });

  it('numbers the attempts of a retried call 1 and 2, under the same batch, each sending its own traceparent', async () => {
    await fresh();
    // The first Stripe answer is lost after the provider did the work: the read is tried again.
    await sim('stripe', 'faults', { resetAfterNext: 1 });
    const answer = await post(traced, CUSTOMER_360, { first: 2 });
    expect(answer.errors).toBeUndefined();
    const stripe = spans.getFinishedSpans().filter((span) => isAttempt(span) && span.attributes['tributary.provider'] === 'stripe');
    const retried = stripe.find((span) => span.attributes['tributary.attempt'] === 2)!;
    expect(retried).toBeDefined();
    // Two customers' lists go out side by side (same path: the customer is in the query); one lost its answer.
    const failed = stripe.filter((span) => span.status.code === SpanStatusCode.ERROR);
    expect(failed).toHaveLength(1);
    const first = failed[0]!;
    expect(first.attributes).toMatchObject({ 'tributary.attempt': 1, 'url.path': retried.attributes['url.path'], 'error.type': 'UPSTREAM_UNAVAILABLE' });
    expect(parentOf(first)).toBe(parentOf(retried));
    expect(first.status.code).toBe(SpanStatusCode.ERROR);
    expect(first.attributes['http.response.status_code']).toBeUndefined();
    expect(retried.attributes).toMatchObject({ 'http.response.status_code': 200, 'http.request.resend_count': 1 });
    expect(retried.spanContext().spanId).not.toBe(first.spanContext().spanId);
    const seen = (await sim('stripe', 'stats'))!;
    expect(seen.traced).toBe(stripe.length);
  });

  it('continues the trace of a caller that sends W3C Trace Context', async () => {
    await fresh();
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    await post(traced, '{ __typename }', {}, { traceparent: `00-${callerTrace}-${callerSpan}-01` });
    const [operation] = spans.getFinishedSpans();
    expect(operation!.spanContext().traceId).toBe(callerTrace);
    expect(parentOf(operation!)).toBe(callerSpan);
  });

  it('gives an answer the result cache replays a span of its own, marked replayed, with no children', async () => {
    await fresh();
    const probe = () => request(replaying.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query Probe { __typename }', operationName: 'Probe' }) });
    await (await probe()).body.dump();
    replayedSpans.reset();
    const replay = await probe();
    expect(replay.statusCode).toBe(200);
    await replay.body.dump();
    const finished = replayedSpans.getFinishedSpans();
    expect(finished).toHaveLength(1);
    expect(finished[0]!.name).toBe('query Probe');
    expect(finished[0]!.attributes).toMatchObject({ 'tributary.result_cache.replayed': true, 'graphql.operation.name': 'Probe', 'tributary.tenant': 'sample' });
  });

  it('names no span after an operation name longer than a label may be, neither when it runs nor when it is replayed', async () => {
    await fresh();
    const long = `Long${'x'.repeat(200)}`;
    const probe = () => request(replaying.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `query ${long} { __typename }`, operationName: long }) });
    await (await probe()).body.dump();
    const replay = await probe();
    await replay.body.dump();
    const finished = replayedSpans.getFinishedSpans();
    expect(finished.map((span) => [span.name, span.attributes['graphql.operation.name'], span.attributes['tributary.result_cache.replayed']])).toEqual([
      ['query other', 'other', false],
      ['query other', 'other', true],
    ]);
  });

  it('sends providers no traceparent while tracing is off', async () => {
    await fresh();
    const answer = await post(untraced, CUSTOMER_360, { first: 50 });
    expect(answer.errors).toBeUndefined();
    const seen = await stats();
    expect(seen.reduce((sum, s) => sum + s.requests, 0)).toBeGreaterThan(0);
    expect(seen.map((s) => s.traced)).toEqual([0, 0, 0]);
  });
});
