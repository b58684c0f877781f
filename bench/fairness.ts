import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyDigest } from '../src/auth/api-key-registry.ts';
import { toGlobalId } from '../src/model/global-id.ts';
import type { BenchOptions } from './bench-options.ts';
import { measureLoad, type LoadResult } from './measure-load.ts';
import { BENCH_API_KEY } from './bench-credentials.ts';
import { currentCommit, describeMachine, type Machine } from './report.ts';
import { trafficBetween, type SimAdmin, type Traffic } from './sim-admin.ts';
import type { SimulatorAddresses } from './simulators-process.ts';
import { REPO_ROOT } from './service-process.ts';
import { faults, startSystem } from './start-system.ts';
import { SYSTEMS, type SystemSpec } from './systems.ts';
import { RAISED_LIMIT, type RateLimit } from './workloads.ts';
// The Customer 360 query the integration tests assert on.
import { CUSTOMER_360 } from '../test/support/queries.ts';

export const FAIRNESS_SCHEMA_VERSION = 1;

/** Stripe's real limit for test keys (25 requests/s): the scarce budget the two clients share. */
const STRIPE_TEST_LIMIT: RateLimit = { limit: 25, windowMs: 1000 };
/** The normal client's page: 5 customers, about five Stripe calls when nothing is cached. */
const NORMAL_PAGE_SIZE = 5;
/** The normal client's concurrency: a person or a dashboard, not a load generator. */
const NORMAL_CONNECTIONS = 2;
/** Payment ids per flood request, each a Stripe call: issue 10 saw a hundred a request. */
const FLOOD_IDS_PER_REQUEST = 100;
/** Distinct flood bodies; a request picks one at random, so ids repeat only across requests. */
const FLOOD_BODIES = 200;

/** Each client's own API key, both of tenant `default`: to the gateway, two clients. */
const NORMAL_API_KEY = 'trib_bench_fairness_normal_5e2a91c4';
const FLOOD_API_KEY = 'trib_bench_fairness_flood_b7d03f6e';

/** The headers that make each client itself (they replace the bench's own API key). */
export const FAIRNESS_CLIENTS = {
  normal: { authorization: `Bearer ${NORMAL_API_KEY}` },
  flood: { authorization: `Bearer ${FLOOD_API_KEY}` },
};

/**
 * The gateway under test: Tributary as deployed but with its caches off (a warm cache would serve
 * the normal client without Stripe and hide the contention), few Stripe slots in flight, and an
 * API key for each client besides the bench's own (the readiness probe and the check use it).
 */
function system(): SystemSpec {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-fairness-'));
  const keysFile = join(dir, 'api-keys.json');
  const scopes = ['customers:read', 'payments:read', 'crm:read', 'ops:read'];
  const keys = [
    { client: 'bench', tenant: 'default', scopes, sha256: apiKeyDigest(BENCH_API_KEY) },
    { client: 'normal', tenant: 'default', scopes, sha256: apiKeyDigest(NORMAL_API_KEY) },
    { client: 'flood', tenant: 'default', scopes, sha256: apiKeyDigest(FLOOD_API_KEY) },
  ];
  writeFileSync(keysFile, JSON.stringify({ keys }));
  const cold = SYSTEMS['tributary-cold'];
  return { ...cold, env: (context) => ({ ...cold.env(context), API_KEYS_FILE: keysFile, BULKHEAD_MAX_CONCURRENT: '8', BULKHEAD_MAX_QUEUED: '200' }) };
}

export interface FairnessResults {
  schemaVersion: typeof FAIRNESS_SCHEMA_VERSION;
  kind: 'fairness';
  commit: string | null;
  startedAt: string;
  machine: Machine;
  options: { latencyMs: number; durationSeconds: number; floodConnections: number; normalConnections: number; stripeLimit: RateLimit };
  /** The normal client alone, then with the flood, in the same run against the same gateway. */
  solo: { normal: LoadResult; stripe: Traffic['stripe'] };
  contended: { normal: LoadResult; flood: LoadResult; stripe: Traffic['stripe'] };
}

/**
 * `npm run bench -- --fairness`: one abusive client asks `nodes(ids: [...])` for a hundred
 * payment ids that do not exist, each a Stripe call, as fast as it can, while a normal client
 * pages through Customer 360; the normal client's success rate and p99 are compared with its own
 * run alone, against the same gateway, on Stripe's real test-key limit.
 */
export async function runFairness(options: BenchOptions, sims: SimulatorAddresses, admin: SimAdmin, progress: (line: string) => void, clients = FAIRNESS_CLIENTS): Promise<FairnessResults> {
  const startedAt = new Date();
  const limits = { customers: RAISED_LIMIT, stripe: STRIPE_TEST_LIMIT, hubspot: RAISED_LIMIT };
  const running = await startSystem(system(), { sims, limits, answersFile: '' }, 'fairness', { nodeArgs: options.nodeArgs, compiled: options.compiled, tributaryNodeArgs: options.tributaryNodeArgs });
  try {
    const normal = { url: running.url, bodies: [JSON.stringify({ query: CUSTOMER_360, variables: { first: NORMAL_PAGE_SIZE } })], pick: 'first' as const, connections: NORMAL_CONNECTIONS, durationSeconds: options.durationSeconds, headers: clients.normal };
    const flood = { url: running.url, bodies: floodBodies(), pick: 'random' as const, connections: options.connections, durationSeconds: options.durationSeconds, headers: clients.flood, seed: 42 };

    await admin.resetWith(faults(options.latencyMs, limits));
    progress(`fairness: the normal client alone for ${options.durationSeconds} s`);
    let before = await admin.settle();
    const soloNormal = await measureLoad(normal);
    let after = await admin.settle();
    const solo = { normal: soloNormal, stripe: trafficBetween(before, after).stripe };

    // A new window for the second phase: nothing left over from the first.
    await admin.resetWith(faults(options.latencyMs, limits));
    progress(`fairness: the normal client with the flood (${options.connections} connections) for ${options.durationSeconds} s`);
    before = await admin.settle();
    const [contendedNormal, floodLoad] = await Promise.all([measureLoad(normal), measureLoad(flood)]);
    after = await admin.settle();
    return {
      schemaVersion: FAIRNESS_SCHEMA_VERSION,
      kind: 'fairness',
      commit: currentCommit(REPO_ROOT),
      startedAt: startedAt.toISOString(),
      machine: describeMachine(),
      options: { latencyMs: options.latencyMs, durationSeconds: options.durationSeconds, floodConnections: options.connections, normalConnections: NORMAL_CONNECTIONS, stripeLimit: STRIPE_TEST_LIMIT },
      solo,
      contended: { normal: contendedNormal, flood: floodLoad, stripe: trafficBetween(before, after).stripe },
    };
  } finally {
    await running.process.stop();
  }
}

/** Flood bodies: `nodes` over a hundred distinct charge ids that the simulator does not hold. */
function floodBodies(): string[] {
  const query = 'query Flood($ids: [ID!]!) { nodes(ids: $ids) { id } }';
  return Array.from({ length: FLOOD_BODIES }, (_, b) => {
    const ids = Array.from({ length: FLOOD_IDS_PER_REQUEST }, (_, i) => toGlobalId('Payment', `ch_missing_${b}_${i}`));
    return JSON.stringify({ query, variables: { ids } });
  });
}

export function writeFairnessResults(dir: string, results: FairnessResults): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `fairness-${results.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

/** The printed report: the normal client alone and under the flood, then the flood itself. */
export function renderFairnessMarkdown(results: FairnessResults): string {
  const { solo, contended, options } = results;
  const ok = (load: LoadResult) => (load.responses === 0 ? '—' : `${(((load.responses - load.errors.total) / load.responses) * 100).toFixed(1)} %`);
  const row = (who: string, load: LoadResult, stripe?: Traffic['stripe']) =>
    `| ${who} | ${load.responses} | ${ok(load)} | ${load.latencyMs.p50.toFixed(1)} | ${load.latencyMs.p99.toFixed(1)} | ${stripe ? `${stripe.requests} (${stripe.byStatus['404'] ?? 0} 404s, ${stripe.rateLimited} 429s)` : ''} |`;
  return [
    `#### Fairness: a normal client beside a flood of missing ids, ${options.durationSeconds} s each phase`,
    '',
    `Stripe held to ${options.stripeLimit.limit} requests per ${options.stripeLimit.windowMs / 1000} s; simulators add ${options.latencyMs} ms; normal client ${options.normalConnections} connections, flood ${options.floodConnections}.`,
    '',
    '| client | responses | without errors | p50 ms | p99 ms | Stripe calls in the phase |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    row('normal, alone', solo.normal, solo.stripe),
    row('normal, with the flood', contended.normal, contended.stripe),
    row('flood', contended.flood),
  ].join('\n');
}
