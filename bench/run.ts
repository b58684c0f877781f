/**
 * `npm run bench`: Tributary side by side with the tools teams use today, on the same simulated
 * providers, in one run. See USAGE in bench-options.ts for the flags.
 *
 * The order of a run:
 *   1. the simulators start in their own process, with the chosen latency;
 *   2. a reference Tributary answers every request body the run will send; those answers are
 *      what every system is checked against, and what the ceiling serves;
 *   3. for each system, for each workload: start the system fresh (so its peak RSS is this
 *      workload's; tributary-redis under a key prefix of its own, removed after), check its
 *      answer against the reference, time the same request alone `--alone` times where that means
 *      something (alone-latency.ts), reset the simulators to the workload's limits, warm up,
 *      measure, read the simulators' counts and the process's peak RSS, stop it;
 *   4. the results go to bench/results/<timestamp>.json and a Markdown table to standard output.
 * With `--fairness`, steps 2 and 3 are replaced by bench/fairness.ts: a normal client alone, then
 * beside a flooding one, against one Tributary; results go to bench/results/fairness-*.json.
 * With `--events`, they are replaced by bench/events.ts: signed webhooks into one Tributary, then
 * 1,000 subscribers timed from each event's POST; results go to bench/results/events-*.json.
 * With `--compression`, they are replaced by bench/compression.ts: warm W1 against one Tributary
 * with no Accept-Encoding, br and gzip; results go to bench/results/compression-*.json.
 * With `--soak <s>`, steps 2 and 3 are replaced by one long measurement of one system on one
 * workload, its memory sampled throughout (bench/soak.ts); results go to bench/results/soak-*.json.
 * Progress goes to standard error. Every child is killed on SIGINT, SIGTERM, failure or the
 * time limit.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLOORS, floorMs, summarizeAlone, ALONE_SYSTEMS, type AloneLatency } from './alone-latency.ts';
import { parseBenchOptions, USAGE, type BenchOptions, type SoakOptions } from './bench-options.ts';
import { dropKeysWithPrefix } from './events-redis.ts';
import { measureLoad } from './measure-load.ts';
import { hasChain, timeChain } from './providers-chain.ts';
import { ceilingAnswers, collectReferenceAnswers, differenceFromReference, postGraphQL } from './reference-answers.ts';
import {
  currentCommit,
  describeMachine,
  describeWorkload,
  renderMarkdown,
  RESULTS_SCHEMA_VERSION,
  upstreamUse,
  writeResults,
  type BenchResults,
  type ChainLatency,
  type Measurement,
} from './report.ts';
import { SimAdmin, trafficBetween, type Provider } from './sim-admin.ts';
import { renderFairnessMarkdown, runFairness, writeFairnessResults } from './fairness.ts';
import { renderEventsMarkdown, runEvents, writeEventsResults } from './events.ts';
import { renderCompressionMarkdown, runCompression, writeCompressionResults } from './compression.ts';
import { renderSoakMarkdown, runSoak, SOAK_SCHEMA_VERSION, writeSoakResults, type SoakResults } from './soak.ts';
import type { SimulatorAddresses } from './simulators-process.ts';
import { killAllServices, REPO_ROOT, ServiceProcess } from './service-process.ts';
import { buildForBench, faults, raisedLimits, startSystem, W0_BODY, type RunningSystem } from './start-system.ts';
import { SYSTEMS, type RedisTarget, type SystemId, type SystemSpec } from './systems.ts';
import { buildWorkloads, type Workload, type WorkloadId } from './workloads.ts';
// The shared Redis probe the test suites use.
import { ping } from '../test/support/redis.ts';

const SIMULATORS_START_TIMEOUT_MS = 30_000; // 30s
/** Quick runs start W3's pages at every tenth customer: 96 reference answers instead of 951. */
const QUICK_PAGE_STRIDE = 10;

interface RunContext {
  options: BenchOptions;
  sims: SimulatorAddresses;
  admin: SimAdmin;
  reference: Map<string, unknown>;
  /** Where the answers files for the ceiling go, one per workload. */
  scratch: string;
  redis?: RedisRun;
}

/**
 * tributary-redis's keys: each start gets a prefix of its own under the run's (so no workload
 * starts with another's cache, as no in-process start does), removed when it stops.
 */
interface RedisRun {
  url: string;
  runPrefix: string;
  starts: number;
}

function nextRedisTarget(redis: RedisRun, label: string): RedisTarget {
  redis.starts += 1;
  return { url: redis.url, prefix: `${redis.runPrefix}-${redis.starts}-${label}` };
}

/** Throws with what to do when nothing answers; returns the run's key prefix. */
async function redisForRun(url: string, startedAt: Date): Promise<RedisRun> {
  if (!(await ping(url, 2000))) {
    throw new Error(`tributary-redis needs a Redis and none answers PING at ${withoutPassword(url)}: start one (redis-server) or pass --redis-url`);
  }
  const stamp = startedAt.toISOString().replace(/[^0-9]/g, '').slice(0, 14);
  return { url, runPrefix: `tributary-bench-run-${stamp}-${randomBytes(3).toString('hex')}`, starts: 0 };
}

/** The URL as it may be printed: a password in it becomes `***`. */
function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}

async function dropRedisKeys(redis: RedisRun | undefined, prefix: string): Promise<void> {
  if (!redis) return;
  try {
    const dropped = await dropKeysWithPrefix(redis.url, prefix);
    progress(`redis: removed ${dropped} keys of ${prefix}`);
  } catch (error) {
    progress(`redis: could not remove the keys of ${prefix}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function main(): Promise<void> {
  const parsed = parseBenchOptions(process.argv.slice(2), join(REPO_ROOT, 'bench', 'results'));
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const options = parsed;
  const startedAt = new Date();
  const deadline = setTimeout(() => abort(`the run passed its time limit of ${options.timeLimitSeconds} s`), options.timeLimitSeconds * 1000);
  deadline.unref();

  const all = buildWorkloads(options.quick ? QUICK_PAGE_STRIDE : 1);
  const workloads = options.workloads.map((id) => all[id]);
  const scratch = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
  CLEANUPS.push(() => rmSync(scratch, { recursive: true, force: true }));
  if (options.compiled) {
    progress('building Tributary (--compiled)');
    buildForBench();
  }
  const redis = options.redisUrl === undefined ? undefined : await redisForRun(options.redisUrl, startedAt);
  if (redis) progress(`redis: ${withoutPassword(redis.url)}, keys under ${redis.runPrefix}`);
  const simulators = new ServiceProcess('simulators', 'bench/simulators-process.ts', { BENCH_SIM_LATENCY_MS: String(options.latencyMs) }, { keepStdin: true });
  try {
    progress(`simulators: starting with ${options.latencyMs} ms latency`);
    const sims = JSON.parse(await simulators.firstLine(SIMULATORS_START_TIMEOUT_MS)) as SimulatorAddresses;
    const admin = new SimAdmin(sims);

    if (options.soak) {
      await soakOne({ ...options, soak: options.soak }, sims, admin, workloads[0] as Workload, startedAt, scratch, redis);
      return;
    }
    if (options.fairness) {
      const results = await runFairness(options, sims, admin, progress);
      process.stdout.write(`${renderFairnessMarkdown(results)}\n`);
      progress(`results: ${writeFairnessResults(options.outDir, results)}`);
      return;
    }
    if (options.events) {
      const results = await runEvents(options, sims, admin, progress);
      process.stdout.write(`${renderEventsMarkdown(results)}\n`);
      progress(`results: ${writeEventsResults(options.outDir, results)}`);
      return;
    }
    if (options.compression) {
      const results = await runCompression(options, sims, admin, progress);
      process.stdout.write(`${renderCompressionMarkdown(results)}\n`);
      progress(`results: ${writeCompressionResults(options.outDir, results)}`);
      return;
    }

    progress('reference: Tributary answers every request body of the run');
    const referenceStarted = performance.now();
    const reference = await referenceAnswers(options, sims, admin, workloads);
    progress(`reference: ${reference.size} answers in ${((performance.now() - referenceStarted) / 1000).toFixed(1)} s`);
    const context: RunContext = { options, sims, admin, reference, scratch, ...(redis ? { redis } : {}) };
    const chains = await timeChains(context, workloads);

    const results: Measurement[] = [];
    for (const systemId of options.systems) {
      for (const workload of workloads) {
        let measurement = await measureOne(context, SYSTEMS[systemId], workload);
        if (measurement.status === 'failed') {
          // One more try: a process killed from outside (an OOM killer, a stray `pkill`) should
          // not cost a whole run. The first failure stays in the results, next to the numbers.
          progress(`${systemId} ${workload.id}: ${summarize(measurement)}; trying once more`);
          const firstFailure = measurement.reason;
          measurement = { ...(await measureOne(context, SYSTEMS[systemId], workload)), firstFailure };
        }
        results.push(measurement);
        progress(`${systemId} ${workload.id}: ${summarize(measurement)}`);
      }
    }

    const finishedAt = new Date();
    const report: BenchResults = {
      schemaVersion: RESULTS_SCHEMA_VERSION,
      commit: currentCommit(REPO_ROOT),
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      elapsedSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
      machine: describeMachine(),
      options: {
        quick: options.quick,
        latencyMs: options.latencyMs,
        warmupSeconds: options.warmupSeconds,
        durationSeconds: options.durationSeconds,
        connections: options.connections,
        systems: options.systems,
        workloads: options.workloads,
        nodeArgs: options.nodeArgs,
        compiled: options.compiled,
        ...(options.tributaryNodeArgs ? { tributaryNodeArgs: options.tributaryNodeArgs } : {}),
        aloneRuns: options.aloneRuns,
      },
      workloads: workloads.map((workload) => ({ ...describeWorkload(workload), ...(chains.has(workload.id) ? { chain: chains.get(workload.id) } : {}) })),
      results,
    };
    const path = writeResults(options.outDir, report);
    process.stdout.write(`${renderMarkdown(report)}\n`);
    progress(`results: ${path} (${report.elapsedSeconds} s)`);
  } finally {
    clearTimeout(deadline);
    await simulators.stop();
    // Each start removed its own keys; this catches what a failed removal left.
    if (redis) await dropRedisKeys(redis, redis.runPrefix);
    cleanUp();
  }
}

/**
 * Soak mode: no comparison, so no reference answers, except the ceiling's own (it serves them).
 * A soak that fails throws: there is no second system to go on with.
 */
async function soakOne(options: BenchOptions & { soak: SoakOptions }, sims: SimulatorAddresses, admin: SimAdmin, workload: Workload, startedAt: Date, scratch: string, redis: RedisRun | undefined): Promise<void> {
  const spec = SYSTEMS[options.systems[0] as SystemId];
  let answersFile = '';
  if (spec.id === 'ceiling') {
    const reference = await referenceAnswers(options, sims, admin, [workload]);
    answersFile = writeCeilingAnswers({ options, sims, admin, reference, scratch }, workload);
  }
  const loadAverageAtStart = loadavg()[0] ?? 0;
  progress(`soak: ${spec.id} on ${workload.id} for ${options.soak.seconds} s after ${options.warmupSeconds} s of warm-up, a sample every ${options.soak.sampleSeconds} s`);
  const target = spec.id === 'tributary-redis' && redis ? nextRedisTarget(redis, `soak-${workload.id}`) : undefined;
  let measured: Awaited<ReturnType<typeof runSoak>>;
  try {
    measured = await runSoak({ options, sims, admin, answersFile, progress, ...(target ? { redis: target } : {}) }, spec, workload);
  } finally {
    if (target) await dropRedisKeys(redis, target.prefix);
  }
  const results: SoakResults = {
    schemaVersion: SOAK_SCHEMA_VERSION,
    kind: 'soak',
    commit: currentCommit(REPO_ROOT),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: describeMachine(),
    loadAverageAtStart,
    ...measured,
  };
  const path = writeSoakResults(options.outDir, results);
  process.stdout.write(`${renderSoakMarkdown(results)}\n`);
  progress(`results: ${path}`);
}

/** Starts a Tributary with every limit raised, asks it every body the run will send, stops it. */
async function referenceAnswers(options: BenchOptions, sims: SimulatorAddresses, admin: SimAdmin, workloads: Workload[]): Promise<Map<string, unknown>> {
  const bodies = new Set([W0_BODY, ...workloads.flatMap((w) => w.bodies)]);
  const limits = raisedLimits();
  const system = await startSystem(SYSTEMS['tributary-warm'], { sims, limits, answersFile: '' }, 'reference');
  try {
    await admin.resetWith(faults(options.latencyMs, limits));
    return await collectReferenceAnswers(system.url, bodies);
  } finally {
    await system.process.stop();
  }
}

/** One (system, workload): start, check, warm up, measure, stop. Never throws: a failure is a result. */
async function measureOne(context: RunContext, spec: SystemSpec, workload: Workload): Promise<Measurement> {
  const { options, admin } = context;
  const base = { system: spec.id, label: spec.label, workload: workload.id };
  if (workload.skip?.systems.includes(spec.id)) return { ...base, status: 'skipped', reason: workload.skip.reason };

  let system: RunningSystem | undefined;
  const redis = spec.id === 'tributary-redis' && context.redis ? nextRedisTarget(context.redis, workload.id) : undefined;
  try {
    const answersFile = spec.id === 'ceiling' ? writeCeilingAnswers(context, workload) : '';
    system = await startSystem(spec, { sims: context.sims, limits: workload.limits, answersFile, ...(redis ? { redis } : {}) }, spec.id, { nodeArgs: options.nodeArgs, compiled: options.compiled, tributaryNodeArgs: options.tributaryNodeArgs });

    // The check runs with every limit raised, so a peer's N+1 calls are not refused here.
    const checked = workload.bodies[0] ?? '';
    await admin.resetWith(faults(options.latencyMs, raisedLimits()));
    const { status, answer } = await postGraphQL(system.url, checked);
    const difference = differenceFromReference(status, answer, context.reference.get(checked));
    if (difference !== undefined) return { ...base, status: 'mismatch', reason: difference };
    // Stats were reset just before the check: what they hold now is one operation's own cost.
    const alone = await admin.settle();
    const aloneLatency = await timeAlone(context, spec, workload, system.url, alone.customers.requests + alone.stripe.requests + alone.hubspot.requests > 0);

    await admin.resetWith(faults(options.latencyMs, workload.limits));
    const load = { url: system.url, bodies: workload.bodies, pick: workload.pick, connections: options.connections };
    if (options.warmupSeconds > 0) await measureLoad({ ...load, durationSeconds: options.warmupSeconds, seed: 7 });
    const before = await admin.settle();
    const result = await measureLoad({ ...load, durationSeconds: options.durationSeconds, seed: 42 });
    const after = await admin.settle();
    if (!system.process.running) {
      const said = system.process.output().split('\n').slice(-3).join(' / ');
      return { ...base, status: 'failed', reason: `exited (${system.process.exitStatus}) during the measurement${said ? `: ${said}` : ''}` };
    }
    const operations = result.sent;
    return {
      ...base,
      status: 'ok',
      load: result,
      operations,
      upstream: upstreamUse(trafficBetween(before, after), operations),
      aloneCalls: { customers: alone.customers.requests, stripe: alone.stripe.requests, hubspot: alone.hubspot.requests },
      peakRssBytes: system.process.peakRssBytes() ?? null,
      ...(aloneLatency ? { alone: aloneLatency } : {}),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ...base, status: 'failed', reason: message.split('\n')[0] ?? message };
  } finally {
    await system?.process.stop();
    if (redis) await dropRedisKeys(context.redis, redis.prefix);
  }
}

/**
 * The checked request again, `aloneRuns` times one after another, limits still raised: on a
 * system that keeps nothing between operations each is as cold as the check was. Undefined where
 * alone-latency.ts says not to measure. A non-2xx answer fails the measurement: a fast error
 * would pass for a fast answer.
 */
async function timeAlone(context: RunContext, spec: SystemSpec, workload: Workload, url: string, callsProviders: boolean): Promise<AloneLatency | undefined> {
  const { aloneRuns, latencyMs } = context.options;
  if (aloneRuns === 0 || !ALONE_SYSTEMS.includes(spec.id) || FLOORS[workload.id].sameAs !== undefined) return undefined;
  const body = workload.bodies[0] ?? '';
  const samples: number[] = [];
  for (let i = 0; i < aloneRuns; i += 1) {
    const started = performance.now();
    const { status } = await postGraphQL(url, body);
    samples.push(Math.round((performance.now() - started) * 1000) / 1000); // µs: what the clock can tell
    if (status !== 200) throw new Error(`one operation alone answered HTTP ${status}`);
  }
  return summarizeAlone(samples, floorMs(workload.id, latencyMs), callsProviders);
}

/**
 * The providers' chain of each workload that has one (bench/providers-chain.ts), timed as the
 * systems' alone operations are (after one untimed, as theirs follow the check), before any
 * system starts, so that nothing else is running: the least latency a gateway making Tributary's
 * calls could reach, in the same run. A chain that fails is left out, with a line saying why:
 * the systems' measurements do not depend on it.
 */
async function timeChains(context: RunContext, workloads: readonly Workload[]): Promise<Map<WorkloadId, ChainLatency>> {
  const { aloneRuns, latencyMs } = context.options;
  const chains = new Map<WorkloadId, ChainLatency>();
  if (aloneRuns === 0 || !context.options.systems.some((id) => ALONE_SYSTEMS.includes(id))) return chains;
  await context.admin.resetWith(faults(latencyMs, raisedLimits()));
  for (const workload of workloads) {
    const { id } = workload;
    if (!hasChain(id) || FLOORS[id].sameAs !== undefined) continue;
    try {
      const { samplesMs, sent } = await timeChain(context.sims, { ...workload, id }, { count: aloneRuns, warmUp: 1 });
      const chain = { ...summarizeAlone(samplesMs, floorMs(id, latencyMs), true), calls: perOperation(sent, aloneRuns) };
      chains.set(id, chain);
      progress(`providers' chain ${id}: median ${chain.medianMs.toFixed(1)} ms alone, ${chain.overFloorMs?.toFixed(1)} over the ${chain.floorMs} ms floor`);
    } catch (error) {
      progress(`providers' chain ${id}: not timed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return chains;
}

function perOperation(sent: Record<Provider, number>, operations: number): Record<Provider, number> {
  return { customers: sent.customers / operations, stripe: sent.stripe / operations, hubspot: sent.hubspot / operations };
}

/**
 * The ceiling's answers for one workload (and W0's, its readiness probe) only, so that its peak
 * RSS is that of serving this workload. Returns the file's path.
 */
function writeCeilingAnswers(context: RunContext, workload: Workload): string {
  const path = join(context.scratch, `answers-${workload.id}.json`);
  const bodies = [...new Set([W0_BODY, ...workload.bodies])];
  writeFileSync(path, JSON.stringify(ceilingAnswers(new Map(bodies.map((body) => [body, context.reference.get(body)])))));
  return path;
}

function summarize(m: Measurement): string {
  if (m.status !== 'ok') return `${m.status}: ${m.reason}`;
  const { load, upstream } = m;
  return (
    `${load.requestsPerSecond.toFixed(1)} req/s, p50 ${load.latencyMs.p50.toFixed(1)} ms, p99 ${load.latencyMs.p99.toFixed(1)} ms, ` +
    `${load.errors.total} errors, ${upstream.total.callsPerOperation.toFixed(1)} upstream calls/op, ${upstream.total.rateLimited} 429s`
  );
}

function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/** What must happen however the run ends: children killed, scratch files removed. Synchronous. */
const CLEANUPS: Array<() => void> = [killAllServices];

function cleanUp(): void {
  for (const cleanup of CLEANUPS.splice(0)) cleanup();
}

/** Kills every child at once and exits: SIGINT, SIGTERM, the time limit. */
function abort(reason: string, code = 1): never {
  progress(`stopping: ${reason}`);
  cleanUp();
  process.exit(code);
}

process.once('SIGINT', () => abort('SIGINT', 130));
process.once('SIGTERM', () => abort('SIGTERM', 143));
process.once('exit', cleanUp);

main().catch((error: unknown) => {
  cleanUp();
  process.stderr.write(`[bench] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
