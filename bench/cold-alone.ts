/**
 * `npx tsx bench/cold-alone.ts [--compiled] [--trace] [--count 20] [--warm-up 2] [--workloads W1,W2] [--env NAME=value]…
 *   [--cpu-prof DIR] [--simulators-cpu-prof DIR]`:
 * W1 and W2 against Tributary cold (bench/systems.ts 'tributary-cold'), one operation at a time,
 * nothing else in flight, and the median latency minus the floor (bench/alone-latency.ts), as `npm run bench` measures it after
 * each check, without the load runs: quick enough to try a change, and able to say where the
 * time went.
 *
 * With `--cpu-prof DIR` (`--simulators-cpu-prof DIR`), the gateway (the simulators' process)
 * writes a V8 CPU profile there when it stops (`npm run bench:profile` summarises it).
 *
 * With `--trace`, the gateway loads bench/upstream-trace-agent.mjs and the simulators
 * bench/simulator-trace-agent.mjs. Each workload's median operation is printed as its upstream
 * requests, relative to when the operation was sent: which ones were in flight together (a
 * wave), and what waited between them, on either side of the wire. Then, over all the
 * operations, the median of each share of the critical path (bench/critical-path-breakdown.ts):
 * what the gateway, the wire and the simulators each added to the floor.
 */
import { deployedNodeFlags } from './deployed-launch.ts';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ALONE_RUNS, floorMs, summarizeAlone } from './alone-latency.ts';
import { medianBreakdown, type OperationSpans, type UpstreamSpan } from './critical-path-breakdown.ts';
import { BENCH_HEADERS } from './bench-credentials.ts';
import { SimAdmin } from './sim-admin.ts';
import type { SimulatorAddresses } from './simulators-process.ts';
import { killAllServices, ServiceProcess } from './service-process.ts';
import { buildForBench, faults, raisedLimits, startSystem } from './start-system.ts';
import { SYSTEMS, type LaunchContext } from './systems.ts';
import { buildWorkloads } from './workloads.ts';

const LATENCY_MS = 20; // the simulators' latency in every bench run

interface ServerTraceEntry {
  serverStart: number;
  serverFinish: number;
}

interface SimulatorTraceEntry {
  arrived: number;
  finished: number;
  port: number;
  path: string;
}

/** A line of bench/upstream-trace-agent.mjs: a request, a connection opened, or the operation's HTTP exchange. */
interface TraceEntry extends Partial<ServerTraceEntry> {
  created: number;
  /** When undici began opening a connection (lines of their own). */
  connect?: number;
  /** When undici wrote the request's headers to a socket. */
  sent?: number;
  headers?: number;
  done: number;
  origin: string;
  path: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { compiled: { type: 'boolean' }, trace: { type: 'boolean' }, count: { type: 'string', default: String(ALONE_RUNS) }, env: { type: 'string', multiple: true }, 'cpu-prof': { type: 'string' }, workloads: { type: 'string', default: 'W1,W2' }, 'simulators-cpu-prof': { type: 'string' }, 'warm-up': { type: 'string', default: '2' } } });
  // `--env NAME=value`: a setting to try, on top of the cold system's environment.
  const extraEnv = Object.fromEntries((values.env ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
  const spec = { ...SYSTEMS['tributary-cold'], env: (context: LaunchContext) => ({ ...SYSTEMS['tributary-cold'].env(context), ...extraEnv }) };
  const count = Number(values.count);
  // Operations before the timed ones: the JIT and sockets (nothing is kept, so they cache nothing).
  // 2 by default, as `npm run bench` times a fresh process; more times a warmed-up one.
  const warmUp = Number(values['warm-up']);
  if (!(Number.isInteger(warmUp) && warmUp >= 0)) throw new TypeError(`--warm-up takes a whole number of operations: ${values['warm-up']}`);
  if (values.compiled) buildForBench();
  const workloads = buildWorkloads(10);
  const simulators = new ServiceProcess('simulators', 'bench/simulators-process.ts', { BENCH_SIM_LATENCY_MS: String(LATENCY_MS) }, {
    keepStdin: true,
    nodeArgs: [
      ...(values.trace ? ['--import', './bench/simulator-trace-agent.mjs'] : []),
      ...(values['simulators-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['simulators-cpu-prof']}`] : []),
    ],
  });
  const simulatorTraceFile = join(tmpdir(), `tributary-simulator-trace-${simulators.pid}.jsonl`);
  try {
    const sims = JSON.parse(await simulators.firstLine(30_000)) as SimulatorAddresses;
    const admin = new SimAdmin(sims);
    const limits = raisedLimits();
    await admin.resetWith(faults(LATENCY_MS, limits));
    const nodeArgs = [...(values.trace ? ['--import', './bench/upstream-trace-agent.mjs'] : []), ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [])];
    const system = await startSystem(spec, { sims, limits, answersFile: '' }, 'tributary-cold', { compiled: values.compiled ?? false, nodeArgs: [...(values.compiled ? deployedNodeFlags() : []), ...nodeArgs] });
    const traceFile = join(tmpdir(), `tributary-upstream-trace-${system.process.pid}.jsonl`);
    const origins = new Map(Object.entries({ customers: sims.customers, stripe: sims.stripe, hubspot: sims.hubspot }).map(([name, url]) => [new URL(url).origin, name]));
    process.stdout.write(`load average at start: ${loadavg().map((n) => n.toFixed(2)).join(' ')}\n`);
    try {
      for (const id of workloadIds(values.workloads)) {
        const body = workloads[id].bodies[0]!;
        const floor = floorMs(id, LATENCY_MS);
        for (let i = 0; i < warmUp; i += 1) await operation(system.url, body);
        const operations: Array<{ sentAt: number; endedAt: number }> = [];
        // CPU time is the one figure a busy machine does not inflate much: read it beside latency.
        const cpuBefore = { gateway: system.process.cpuSeconds() ?? NaN, simulators: simulators.cpuSeconds() ?? NaN };
        for (let i = 0; i < count; i += 1) operations.push(await operation(system.url, body));
        const cpuMs = (before: number, after: number | undefined) => ((((after ?? NaN) - before) * 1000) / count).toFixed(1);
        const alone = summarizeAlone(operations.map((op) => op.endedAt - op.sentAt), floor, true);
        operations.sort((a, b) => a.endedAt - a.sentAt - (b.endedAt - b.sentAt));
        const middle = operations[Math.floor(operations.length / 2)]!;
        const latencies = alone.samplesMs.sort((a, b) => a - b);
        process.stdout.write(
          `${id}: median ${alone.medianMs.toFixed(1)} ms, floor ${floor} ms, median - floor ${alone.overFloorMs!.toFixed(1)} ms ` +
            `(p90 ${alone.p90Ms.toFixed(1)}, min ${latencies[0]!.toFixed(1)}, max ${latencies.at(-1)!.toFixed(1)}, ${count} operations alone); ` +
            `CPU per operation: gateway ${cpuMs(cpuBefore.gateway, system.process.cpuSeconds())} ms, simulators ${cpuMs(cpuBefore.simulators, simulators.cpuSeconds())} ms\n`,
        );
        if (values.trace) {
          const trace = readTrace(traceFile);
          const simulated = readSimulatorTrace(simulatorTraceFile);
          const connects = trace.filter((e) => e.connect !== undefined && e.connect >= middle.sentAt && e.connect <= middle.endedAt).length;
          printTrace(spansOf(trace, simulated, middle, origins), connects);
          const shares = medianBreakdown(operations.map((op) => spansOf(trace, simulated, op, origins)));
          process.stdout.write(`  critical path, median of each share over the ${count} operations (floor ${floor} ms):\n`);
          for (const [share, ms] of Object.entries(shares)) process.stdout.write(`    ${ms.toFixed(1).padStart(6)} ms  ${share}\n`);
        }
      }
    } finally {
      await system.process.stop();
      rmSync(traceFile, { force: true });
    }
  } finally {
    await simulators.stop();
    rmSync(simulatorTraceFile, { force: true });
    killAllServices();
  }
}

/** One operation; times are absolute (performance.timeOrigin-based), like the trace agent's. */
async function operation(url: string, body: string): Promise<{ sentAt: number; endedAt: number }> {
  const sentAt = performance.timeOrigin + performance.now();
  const response = await fetch(url, { method: 'POST', headers: BENCH_HEADERS, body });
  const text = await response.text();
  const endedAt = performance.timeOrigin + performance.now();
  const answer = JSON.parse(text) as { errors?: unknown[] };
  if (response.status !== 200 || answer.errors) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
  return { sentAt, endedAt };
}

type LabelledSpan = UpstreamSpan & { label: string };

/**
 * One operation's upstream requests, each with the simulator's record of it (matched by port and
 * path in order of arrival) and a label: provider and path, ids collapsed.
 */
function spansOf(entries: TraceEntry[], simulated: SimulatorTraceEntry[], op: { sentAt: number; endedAt: number }, origins: Map<string, string>): OperationSpans & { upstream: LabelledSpan[] } {
  const within = (at: number | undefined) => at !== undefined && at >= op.sentAt && at <= op.endedAt;
  const served = simulated.filter((s) => within(s.arrived)).sort((a, b) => a.arrived - b.arrived);
  const upstream = entries
    .filter((e) => within(e.created))
    .sort((a, b) => a.created - b.created)
    .map((e) => {
      const port = Number(new URL(e.origin).port);
      const index = served.findIndex((s) => s.port === port && s.path === e.path);
      const sim = index >= 0 ? served.splice(index, 1)[0] : undefined;
      const label = `${origins.get(e.origin) ?? e.origin} ${e.path.replace(/\/(cus|ch)_\w+/g, '/:id')}`;
      return { label, created: e.created, done: e.done, ...(e.sent === undefined ? {} : { sent: e.sent }), ...(sim ? { arrived: sim.arrived, finished: sim.finished } : {}) };
    });
  const server = entries.find((e) => within(e.serverStart));
  return { ...op, upstream, ...(server ? { serverStart: server.serverStart, serverFinish: server.serverFinish } : {}) };
}

function readTrace(file: string): TraceEntry[] {
  return readLines<TraceEntry>(file);
}

function readSimulatorTrace(file: string): SimulatorTraceEntry[] {
  return readLines<SimulatorTraceEntry>(file);
}

function readLines<T>(file: string): T[] {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as T);
  } catch {
    return [];
  }
}

function workloadIds(list: string): Array<'W1' | 'W2'> {
  const ids = list.split(',');
  for (const id of ids) if (id !== 'W1' && id !== 'W2') throw new TypeError(`--workloads takes W1 and/or W2: ${id}`);
  return ids as Array<'W1' | 'W2'>;
}

/**
 * The operation's upstream requests grouped by path and by when they were created (within 2 ms:
 * one tick's batch), relative to when the operation was sent: the gateway's view (created,
 * written to the socket, answered: the whole answer read) beside the simulators' (arrived:
 * headers parsed; finished: answer handed to the socket). What the simulators spent beyond their
 * latency is theirs; the rest of a round trip is the gateway's or the wire's.
 */
function printTrace(op: ReturnType<typeof spansOf>, connects: number): void {
  type Span = [number, number];
  const groups: Array<{ label: string; n: number; created: Span; done: Span; written?: Span; arrived?: Span; finished?: Span }> = [];
  const widen = (span: Span | undefined, at: number | undefined): Span | undefined => {
    if (at === undefined) return span;
    const t = at - op.sentAt;
    return span ? [Math.min(span[0], t), Math.max(span[1], t)] : [t, t];
  };
  for (const e of op.upstream) {
    let group = groups.find((g) => g.label === e.label && e.created - op.sentAt - g.created[1] < 2);
    if (!group) groups.push((group = { label: e.label, n: 0, created: widen(undefined, e.created)!, done: widen(undefined, e.done)! }));
    group.n += 1;
    group.created = widen(group.created, e.created)!;
    group.done = widen(group.done, e.done)!;
    group.written = widen(group.written, e.sent);
    group.arrived = widen(group.arrived, e.arrived);
    group.finished = widen(group.finished, e.finished);
  }
  const range = ([a, b]: Span) => (b - a < 0.5 ? a.toFixed(1) : `${a.toFixed(1)}–${b.toFixed(1)}`);
  for (const g of groups) {
    const written = g.written ? ` written ${range(g.written)}` : '';
    const sim = g.arrived && g.finished ? ` (simulator: arrived ${range(g.arrived)}, finished ${range(g.finished)})` : '';
    process.stdout.write(`  ${String(g.n).padStart(3)} × ${g.label.padEnd(52)} sent ${range(g.created).padEnd(11)} answered ${range(g.done).padEnd(11)}${written}${sim}\n`);
  }
  if (op.serverStart !== undefined && op.serverFinish !== undefined) {
    process.stdout.write(`  gateway's HTTP server: request parsed ${(op.serverStart - op.sentAt).toFixed(1)}, answer written ${(op.serverFinish - op.sentAt).toFixed(1)}\n`);
  }
  process.stdout.write(`  operation answered at ${(op.endedAt - op.sentAt).toFixed(1)}; connections opened during it: ${connects}\n`);
}

main().catch((error: unknown) => {
  killAllServices();
  process.stderr.write(`cold-alone failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
