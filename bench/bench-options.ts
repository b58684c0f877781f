import { parseArgs } from 'node:util';
import { ALONE_RUNS } from './alone-latency.ts';
import { deployedNodeFlags } from './deployed-launch.ts';
import { OPT_IN_SYSTEMS, SYSTEM_IDS, type SystemId } from './systems.ts';
import { WORKLOAD_IDS, type WorkloadId } from './workloads.ts';

export interface BenchOptions {
  quick: boolean;
  /** Latency every simulator adds to each answer. */
  latencyMs: number;
  /** Load per (system, workload) before measuring, discarded: fills caches, JIT, pools. */
  warmupSeconds: number;
  /** Measured load per (system, workload). */
  durationSeconds: number;
  /** Concurrent closed-loop clients. */
  connections: number;
  systems: SystemId[];
  workloads: WorkloadId[];
  /** Where the results JSON goes. */
  outDir: string;
  /** The whole run is stopped (and every child killed) after this long. */
  timeLimitSeconds: number;
  /** Fairness mode: a normal client alone, then beside a flooding client (bench/fairness.ts). */
  fairness: boolean;
  /**
   * Events mode: webhook ingestion, then event-to-subscriber latency (bench/events.ts). Optional
   * so that the main results' `options` (report.ts) need not carry it.
   */
  events?: boolean;
  /** Compression mode: warm W1 with no Accept-Encoding, then br, then gzip, against one Tributary (bench/compression.ts). */
  compression?: boolean;
  /** Soak mode: one system on one workload under load this long, memory sampled throughout. */
  soak?: SoakOptions;
  /** Extra `node` flags for the systems under test (not the simulators), e.g. a V8 heap setting. */
  nodeArgs: string[];
  /** Tributary built first (`npm run build`) and run as deployed, `node dist/main.js`, not through tsx. */
  compiled: boolean;
  /**
   * The flags Tributary's process runs with: `nodeArgs` when given, else with `--compiled` the
   * Dockerfile's (deployed-launch.ts), so the gateway is measured with the heap settings it ships
   * with; peers never get the deployed ones. Optional: results written before it have none.
   */
  tributaryNodeArgs?: string[];
  /** Operations sent one at a time before the load, per (system, workload) that keeps nothing; 0: none. */
  aloneRuns: number;
  /** The Redis of tributary-redis; set exactly when that system runs. Not in the results (it may hold a password). */
  redisUrl?: string;
}

export interface SoakOptions {
  seconds: number;
  /** Seconds between two memory samples of the system's process. */
  sampleSeconds: number;
}

/** `--soak` without `--only`/`--workloads`: the pair the hardening issue asks about. */
const SOAK_DEFAULTS = { system: 'tributary-warm', workload: 'W3', sampleSeconds: 5 } as const;

/** A sixth system in a comparison run: about a fifth more than the five's 9–10 minutes. */
const REDIS_EXTRA_SECONDS = 3 * 60;

/** The Redis the test suites and CI use. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const FULL = {
  latencyMs: 20,
  warmupSeconds: 5, // 5s: fills Tributary's cache with all of W3's pages
  durationSeconds: 15, // 15s: one and a half of HubSpot's 10 s windows in W4
  connections: 10,
  timeLimitSeconds: 14 * 60, // 14 min: the issue asks for under 15 on a clean clone
  aloneRuns: ALONE_RUNS,
};

/** About a minute: enough to keep the harness working in CI, not to compare anything. */
const QUICK = {
  latencyMs: 20,
  warmupSeconds: 0, // none
  durationSeconds: 1, // 1s: autocannon's smallest, it stops on whole-second ticks
  connections: 4,
  timeLimitSeconds: 5 * 60, // 5 min
  aloneRuns: 3, // 3: naive's W1 alone takes a few hundred ms; the quick run keeps to its minute
};

export const USAGE = `npm run bench -- [options]

  --quick                 about a minute: no warm-up, 1 s measured, 4 connections, W3 over 96 pages
  --latency <ms>          latency the simulators add to each answer (default ${FULL.latencyMs})
  --duration <s>          measured seconds per system and workload (default ${FULL.durationSeconds}, quick ${QUICK.durationSeconds})
  --warmup <s>            warm-up seconds before each measurement (default ${FULL.warmupSeconds}, quick ${QUICK.warmupSeconds})
  --connections <n>       concurrent clients (default ${FULL.connections}, quick ${QUICK.connections})
  --only <system,...>     some of: ${SYSTEM_IDS.join(', ')}
                          (default: all but ${OPT_IN_SYSTEMS.join(', ')})
  --redis                 also run tributary-redis: tributary (warm) with its cache and quotas in
                          Redis, under a key prefix of its own removed after each workload
  --redis-url <url>       the Redis for tributary-redis (default ${DEFAULT_REDIS_URL})
  --alone <n>             operations sent one at a time, nothing cached or in flight, before the
                          load, on ceiling, naive and tributary-cold: latency against the workload's
                          floor (default ${FULL.aloneRuns}, quick ${QUICK.aloneRuns}; 0: none)
  --workloads <W,...>     some of: ${WORKLOAD_IDS.join(', ')}
  --out <dir>             where the results JSON goes (default bench/results)
  --fairness              fairness mode: a normal client (Customer 360) alone, then beside a client
                          flooding Stripe with missing ids; --duration per phase, --connections
                          the flood's
  --events                events mode: signed Stripe webhooks as fast as one Tributary takes them
                          (--duration, --connections), then 1,000 graphql-ws subscribers and the
                          time from each event's POST to each delivery; in-process log, then Redis
  --compression           compression mode: warm W1 against one tributary-warm with no Accept-Encoding,
                          then br, then gzip (--duration each, two rounds in alternating order):
                          rates, answer sizes and the gateway's CPU per answer
  --soak <s>              soak mode: one system on one workload for <s> seconds after the warm-up,
                          sampling its RSS and heap (default pair: --only ${SOAK_DEFAULTS.system} --workloads ${SOAK_DEFAULTS.workload})
  --sample <s>            soak mode: seconds between memory samples (default ${SOAK_DEFAULTS.sampleSeconds})
  --node-args=<flags>     node flags for the systems under test, quoted, with "=" (its value starts
                          with a dash): --node-args="--max-semi-space-size=2 --max-old-space-size=160"
  --compiled              build Tributary first and run it as deployed (node dist/main.js), not
                          through tsx, whose loader holds about 50 MiB of its own
  --help                  this text
`;

/** Reads the command line; throws a TypeError naming the flag and the value it could not use. */
export function parseBenchOptions(argv: readonly string[], defaultOutDir: string): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean', default: false },
      latency: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      only: { type: 'string' },
      workloads: { type: 'string' },
      out: { type: 'string' },
      fairness: { type: 'boolean', default: false },
      events: { type: 'boolean', default: false },
      compression: { type: 'boolean', default: false },
      soak: { type: 'string' },
      sample: { type: 'string' },
      'node-args': { type: 'string' },
      compiled: { type: 'boolean', default: false },
      redis: { type: 'boolean', default: false },
      'redis-url': { type: 'string' },
      alone: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const base = values.quick ? QUICK : FULL;
  const soak = soakOptions(values.soak, values.sample);
  const soakSystem = values.redis ? 'tributary-redis' : SOAK_DEFAULTS.system;
  const chosen = list('--only', values.only ?? (soak ? soakSystem : undefined), SYSTEM_IDS);
  const systems = values.only !== undefined || soak
    ? SYSTEM_IDS.filter((id) => chosen.includes(id) || (values.redis && !soak && OPT_IN_SYSTEMS.includes(id)))
    : SYSTEM_IDS.filter((id) => values.redis || !OPT_IN_SYSTEMS.includes(id));
  if (values['redis-url'] !== undefined && !systems.includes('tributary-redis')) {
    throw new TypeError(`--redis-url only applies with --redis (or --only tributary-redis): ${JSON.stringify(values['redis-url'])}`);
  }
  const workloads = list('--workloads', values.workloads ?? (soak ? SOAK_DEFAULTS.workload : undefined), WORKLOAD_IDS);
  if ([soak !== undefined, values.fairness, values.events, values.compression].filter(Boolean).length > 1) {
    throw new TypeError('--soak, --fairness, --events and --compression are different runs: choose one');
  }
  if (soak && (systems.length !== 1 || workloads.length !== 1)) {
    throw new TypeError(`--soak runs one system on one workload: --only ${systems.join(',')} --workloads ${workloads.join(',')}`);
  }
  return {
    quick: values.quick,
    latencyMs: integer('--latency', values.latency, base.latencyMs, 0, 10_000),
    warmupSeconds: integer('--warmup', values.warmup, base.warmupSeconds, 0, 600),
    durationSeconds: integer('--duration', values.duration, base.durationSeconds, 1, 600),
    connections: integer('--connections', values.connections, base.connections, 1, 1000),
    systems,
    workloads,
    outDir: values.out ?? defaultOutDir,
    fairness: values.fairness,
    events: values.events,
    compression: values.compression,
    // A soak's own length plus the usual allowance for starting, checking and warming up.
    timeLimitSeconds: (soak ? soak.seconds : 0) + base.timeLimitSeconds + (systems.includes('tributary-redis') && !soak ? REDIS_EXTRA_SECONDS : 0),
    ...(soak ? { soak } : {}),
    nodeArgs: nodeArgs(values['node-args']),
    compiled: values.compiled,
    tributaryNodeArgs: values['node-args'] !== undefined ? nodeArgs(values['node-args']) : values.compiled ? deployedNodeFlags() : [],
    aloneRuns: integer('--alone', values.alone, base.aloneRuns, 0, 1000),
    ...(systems.includes('tributary-redis') ? { redisUrl: redisUrl(values['redis-url'] ?? DEFAULT_REDIS_URL) } : {}),
  };
}

function redisUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`--redis-url must be a redis:// or rediss:// URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new TypeError(`--redis-url must be a redis:// or rediss:// URL: ${JSON.stringify(raw)}`);
  return raw;
}

function soakOptions(seconds: string | undefined, sample: string | undefined): SoakOptions | undefined {
  if (seconds === undefined) {
    if (sample !== undefined) throw new TypeError(`--sample only applies with --soak: ${JSON.stringify(sample)}`);
    return undefined;
  }
  return {
    seconds: integer('--soak', seconds, 0, 10, 24 * 60 * 60),
    sampleSeconds: integer('--sample', sample, SOAK_DEFAULTS.sampleSeconds, 1, 600),
  };
}

/**
 * Node flags, space-separated; each must start with `-` so that a script or a stray value cannot
 * slip in. Only flags that change how the process runs belong here (V8 and Node options).
 */
function nodeArgs(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const flags = raw.split(/\s+/).filter(Boolean);
  const bad = flags.filter((flag) => !/^--?[a-z]/i.test(flag));
  if (bad.length > 0) throw new TypeError(`--node-args takes node flags such as "--max-semi-space-size=2": ${JSON.stringify(raw)}`);
  return flags;
}

function integer(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new TypeError(`${flag} must be an integer from ${min} to ${max}: ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/** A comma-separated subset, kept in the canonical order whatever order it was written in. */
function list<T extends string>(flag: string, raw: string | undefined, known: readonly T[]): T[] {
  if (raw === undefined) return [...known];
  const asked = raw.split(',').map((item) => item.trim()).filter(Boolean);
  const unknown = asked.filter((item) => !(known as readonly string[]).includes(item));
  if (unknown.length > 0 || asked.length === 0) {
    throw new TypeError(`${flag} takes a comma-separated list of ${known.join(', ')}: ${JSON.stringify(raw)}`);
  }
  return known.filter((item) => asked.includes(item));
}
