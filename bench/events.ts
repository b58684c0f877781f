import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDataset, SIM_CREDENTIALS } from '../src/simulators/index.ts';
import type { BenchOptions } from './bench-options.ts';
import { ingest, type IngestResult } from './events-ingest.ts';
import { dropKeysWithPrefix } from './events-redis.ts';
import { refundable, signedRefunds } from './events-stripe.ts';
import { measureSubscribers, pickCustomers, readyz, until, type SubscribersResult } from './events-subscribers.ts';
import { currentCommit, describeMachine, type Machine } from './report.ts';
import type { SimAdmin } from './sim-admin.ts';
import type { SimulatorAddresses } from './simulators-process.ts';
import { REPO_ROOT } from './service-process.ts';
import { faults, raisedLimits, startSystem } from './start-system.ts';
import { SYSTEMS, type SystemSpec } from './systems.ts';
// The shared Redis the test suites use; each run keeps to a prefix of its own and removes it.
import { ping, REDIS_URL } from '../test/support/redis.ts';

export const EVENTS_SCHEMA_VERSION = 1;

/** Pre-signed deliveries per measured second: more than the gateway takes on two cores. */
const INGEST_POOL_PER_SECOND = 6000;
/** Deliveries before the measurement, discarded: JIT, sockets, the log's first pages. */
const INGEST_WARM_UP = 2000;
/** Customers subscribed to, and subscribers per customer: 1,000 subscribers. */
const CUSTOMERS = 100;
const SUBSCRIBERS_PER_CUSTOMER = 10;
/** Measured events per customer: 300 events, 3,000 deliveries. */
const EVENTS_PER_CUSTOMER = 3;
/** 50 events/s offered, 500 deliveries/s: a busy account, below what the gateway handles. */
const EVENT_INTERVAL_MS = 20;
/** How long the ingestion's backlog may take to be handled before the subscribers' phase. */
const DRAIN_TIMEOUT_MS = 90_000; // 90s

type EventLogKind = 'memory' | 'redis';

export type EventsRun =
  | { eventLog: EventLogKind; status: 'ok'; ingestion: IngestionRun; subscribers: SubscribersResult; gatewayEvents: unknown }
  | { eventLog: EventLogKind; status: 'skipped' | 'failed'; reason: string };

export interface IngestionRun extends IngestResult {
  warmUpDeliveries: number;
  /** The gateway's peak resident set once the load stopped (VmHWM, since it started). */
  peakRssBytes: number | null;
  /** Events waiting to be handled when the load stopped, and how long handling them took. */
  backlogAtEnd: number | null;
  drainSeconds: number | null;
}

export interface EventsResults {
  schemaVersion: typeof EVENTS_SCHEMA_VERSION;
  kind: 'events';
  commit: string | null;
  startedAt: string;
  machine: Machine;
  options: { latencyMs: number; durationSeconds: number; connections: number; customers: number; subscribersPerCustomer: number; eventsPerCustomer: number; eventIntervalMs: number };
  runs: EventsRun[];
}

/**
 * `npm run bench -- --events`: one Tributary as deployed (remote mode, cache on, the simulators'
 * Stripe signing secret), first with its in-process event log, then with REDIS_URL (when a Redis
 * answers): signed `charge.refunded` deliveries as fast as it acknowledges them, then 1,000
 * graphql-ws subscribers and the time from each event's POST to each subscriber's `next`.
 */
export async function runEvents(options: BenchOptions, sims: SimulatorAddresses, admin: SimAdmin, progress: (line: string) => void): Promise<EventsResults> {
  const startedAt = new Date();
  const runs: EventsRun[] = [];
  for (const eventLog of ['memory', 'redis'] as const) {
    if (eventLog === 'redis' && !(await ping(REDIS_URL))) {
      runs.push({ eventLog, status: 'skipped', reason: `no Redis answers at ${REDIS_URL}` });
      continue;
    }
    try {
      runs.push(await runOne(eventLog, options, sims, admin, progress));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      runs.push({ eventLog, status: 'failed', reason: message.split('\n')[0] ?? message });
    }
    progress(`events (${eventLog}): ${summarize(runs[runs.length - 1] as EventsRun)}`);
  }
  return {
    schemaVersion: EVENTS_SCHEMA_VERSION,
    kind: 'events',
    commit: currentCommit(REPO_ROOT),
    startedAt: startedAt.toISOString(),
    machine: describeMachine(),
    options: {
      latencyMs: options.latencyMs,
      durationSeconds: options.durationSeconds,
      connections: options.connections,
      customers: CUSTOMERS,
      subscribersPerCustomer: SUBSCRIBERS_PER_CUSTOMER,
      eventsPerCustomer: EVENTS_PER_CUSTOMER,
      eventIntervalMs: EVENT_INTERVAL_MS,
    },
    runs,
  };
}

async function runOne(eventLog: EventLogKind, options: BenchOptions, sims: SimulatorAddresses, admin: SimAdmin, progress: (line: string) => void): Promise<EventsRun> {
  const tag = `${eventLog[0]}${randomBytes(4).toString('hex')}`;
  const prefix = `tributary-bench-events-${tag}`;
  const secret = SIM_CREDENTIALS.stripeWebhookSecret;
  const limits = raisedLimits();
  const running = await startSystem(system(eventLog === 'redis' ? { REDIS_URL, CACHE_KEY_PREFIX: prefix } : IN_PROCESS_LOG), { sims, limits, answersFile: '' }, `events-${eventLog}`, { nodeArgs: options.nodeArgs, compiled: options.compiled, tributaryNodeArgs: options.tributaryNodeArgs });
  const origin = new URL(running.url).origin;
  try {
    await admin.resetWith(faults(options.latencyMs, limits));
    const dataset = buildDataset();
    const charges = refundable(dataset.stripe.charges);
    const nowSec = Math.floor(Date.now() / 1000);
    // Signed before the load, within Stripe's 300 s tolerance of when they are sent.
    const warmUp = signedRefunds(charges, INGEST_WARM_UP, { secret, nowSec, tag: `${tag}x` });
    const pool = signedRefunds(charges, INGEST_POOL_PER_SECOND * options.durationSeconds, { secret, nowSec, tag: `${tag}i` });
    progress(`events (${eventLog}): ${warmUp.length} warm-up deliveries, then up to ${pool.length} over ${options.durationSeconds} s on ${options.connections} connections`);
    await ingest({ origin, deliveries: warmUp, connections: options.connections, durationSeconds: options.durationSeconds });
    const measured = await ingest({ origin, deliveries: pool, connections: options.connections, durationSeconds: options.durationSeconds });
    const peakRssBytes = running.process.peakRssBytes() ?? null;
    const backlogAtEnd = (await readyz(origin)).backlog;
    const drainStarted = performance.now();
    await until(async () => ((await readyz(origin)).backlog ?? 0) === 0, DRAIN_TIMEOUT_MS, 'the ingested events to be handled');
    const drainSeconds = backlogAtEnd === null ? null : (performance.now() - drainStarted) / 1000;
    const ingestion: IngestionRun = { ...measured, warmUpDeliveries: warmUp.length, peakRssBytes, backlogAtEnd, drainSeconds };
    progress(`events (${eventLog}): ${measured.verifiedPerSecond.toFixed(0)} events/s; backlog ${backlogAtEnd} handled in ${drainSeconds?.toFixed(1)} s`);

    const subscribers = await measureSubscribers({
      origin,
      customers: pickCustomers(dataset, CUSTOMERS, EVENTS_PER_CUSTOMER),
      perCustomer: SUBSCRIBERS_PER_CUSTOMER,
      intervalMs: EVENT_INTERVAL_MS,
      secret,
      tag,
      admin,
      rss: () => ({ now: running.process.rssBytes() ?? null, peak: running.process.peakRssBytes() ?? null }),
      progress: (line) => progress(`${line} (${eventLog})`),
    });
    if (!running.process.running) throw new Error(`the gateway exited (${running.process.exitStatus})`);
    // The gateway's own counters (deliveries, effects by outcome, dead letters), as /readyz shows them.
    return { eventLog, status: 'ok', ingestion, subscribers, gatewayEvents: (await readyz(origin)).events };
  } finally {
    await running.process.stop();
    if (eventLog === 'redis') progress(`events (redis): removed ${await dropKeysWithPrefix(REDIS_URL, prefix)} keys of ${prefix}`);
  }
}

/**
 * Production refuses webhooks without Redis (an in-process log does not outlive a restart); the
 * in-process log is measured all the same, as the embedded default runs it.
 */
const IN_PROCESS_LOG = { NODE_ENV: 'development' };

/** Tributary as deployed, its Stripe webhook endpoint on with the simulators' signing secret. */
function system(extra: Record<string, string>): SystemSpec {
  const warm = SYSTEMS['tributary-warm'];
  return { ...warm, env: (context) => ({ ...warm.env(context), STRIPE_WEBHOOK_SECRETS: SIM_CREDENTIALS.stripeWebhookSecret, ...extra }) };
}

function summarize(run: EventsRun): string {
  if (run.status !== 'ok') return `${run.status}: ${run.reason}`;
  const { ingestion: i, subscribers: s } = run;
  return (
    `${i.verifiedPerSecond.toFixed(0)} events/s (p99 ${i.latencyMs.p99.toFixed(1)} ms, ${i.non2xx} non-2xx); ` +
    `${s.received}/${s.expected} deliveries, p50 ${s.latencyMs.p50.toFixed(1)} ms, p99 ${s.latencyMs.p99.toFixed(1)} ms, ${s.upstreamCalls.stripe} Stripe calls`
  );
}

export function writeEventsResults(dir: string, results: EventsResults): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `events-${results.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

const MiB = 2 ** 20;
const mib = (bytes: number | null) => (bytes === null ? '—' : (bytes / MiB).toFixed(0));
const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

/** The printed report: ingestion, then delivery to subscribers, one row per event log. */
export function renderEventsMarkdown(results: EventsResults): string {
  const { options } = results;
  const ok = results.runs.filter((run): run is Extract<EventsRun, { status: 'ok' }> => run.status === 'ok');
  const notOk = results.runs.filter((run) => run.status !== 'ok').map((run) => `| ${run.eventLog} | ${run.status}: ${'reason' in run ? run.reason : ''} |`);
  const subscribers = options.customers * options.subscribersPerCustomer;
  return [
    `#### Webhook ingestion: signed Stripe \`charge.refunded\` deliveries, ${options.durationSeconds} s, ${options.connections} connections`,
    '',
    '| event log | deliveries | verified events/s | p50 ms | p99 ms | non-2xx | duplicates | backlog at the end | handled in s | peak RSS MiB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...ok.map(({ eventLog, ingestion: i }) =>
      `| ${eventLog} | ${i.responses} | ${i.verifiedPerSecond.toFixed(0)} | ${ms(i.latencyMs.p50)} | ${ms(i.latencyMs.p99)} | ${i.non2xx + i.network} | ${i.duplicates} | ${i.backlogAtEnd ?? '—'} | ${i.drainSeconds === null ? '—' : i.drainSeconds.toFixed(1)} | ${mib(i.peakRssBytes)} |`,
    ),
    ...notOk,
    '',
    `#### Event to subscriber: ${subscribers} graphql-ws subscribers, ${options.subscribersPerCustomer} on each of ${options.customers} customers' \`paymentChanged\`, warm cache`,
    '',
    `${options.customers * options.eventsPerCustomer} events, one every ${options.eventIntervalMs} ms; from just before each POST to each subscriber's \`next\`.`,
    '',
    '| event log | warm-up deliveries | deliveries received / expected | not yet refunded | errors | p50 ms | p99 ms | max ms | Stripe calls | RSS MiB (connected) | peak RSS MiB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...ok.map(({ eventLog, subscribers: s }) =>
      `| ${eventLog} | ${s.warmUp.received} / ${s.warmUp.expected} | ${s.received} / ${s.expected} | ${s.stale} | ${s.errors} | ${ms(s.latencyMs.p50)} | ${ms(s.latencyMs.p99)} | ${ms(s.latencyMs.max)} | ${s.upstreamCalls.stripe} | ${mib(s.rssBytes)} | ${mib(s.peakRssBytes)} |`,
    ),
    ...notOk,
  ].join('\n');
}
