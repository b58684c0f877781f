/**
 * `npx tsx bench/cold-alone.ts [--compiled] [--trace] [--count 20] [--env NAME=value]… [--cpu-prof DIR]`:
 * W1 and W2 against Tributary cold (bench/systems.ts 'tributary-cold'), one operation at a time,
 * nothing else in flight, and the median latency minus the floor (bench/alone-latency.ts), as `npm run bench` measures it after
 * each check, without the load runs: quick enough to try a change, and able to say where the
 * time went.
 *
 * With `--cpu-prof DIR`, the gateway writes a V8 CPU profile there when it stops (`npm run
 * bench:profile` summarises it).
 *
 * With `--trace`, the gateway loads bench/upstream-trace-agent.mjs and each workload's median
 * operation is printed as its upstream requests, relative to when the operation was sent: which
 * ones were in flight together (a wave), and what waited between them.
 */
import { deployedNodeFlags } from './deployed-launch.ts';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ALONE_RUNS, floorMs, summarizeAlone } from './alone-latency.ts';
import { BENCH_HEADERS } from './bench-credentials.ts';
import { SimAdmin } from './sim-admin.ts';
import type { SimulatorAddresses } from './simulators-process.ts';
import { killAllServices, ServiceProcess } from './service-process.ts';
import { buildForBench, faults, raisedLimits, startSystem } from './start-system.ts';
import { SYSTEMS, type LaunchContext } from './systems.ts';
import { buildWorkloads } from './workloads.ts';

const LATENCY_MS = 20; // the simulators' latency in every bench run
const WARM_UP_OPERATIONS = 2; // JIT and sockets; the entity cache is off, so nothing is kept

interface TraceEntry {
  created: number;
  headers?: number;
  done: number;
  origin: string;
  path: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { compiled: { type: 'boolean' }, trace: { type: 'boolean' }, count: { type: 'string', default: String(ALONE_RUNS) }, env: { type: 'string', multiple: true }, 'cpu-prof': { type: 'string' } } });
  // `--env NAME=value`: a setting to try, on top of the cold system's environment.
  const extraEnv = Object.fromEntries((values.env ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
  const spec = { ...SYSTEMS['tributary-cold'], env: (context: LaunchContext) => ({ ...SYSTEMS['tributary-cold'].env(context), ...extraEnv }) };
  const count = Number(values.count);
  if (values.compiled) buildForBench();
  const workloads = buildWorkloads(10);
  const simulators = new ServiceProcess('simulators', 'bench/simulators-process.ts', { BENCH_SIM_LATENCY_MS: String(LATENCY_MS) }, { keepStdin: true });
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
      for (const id of ['W1', 'W2'] as const) {
        const body = workloads[id].bodies[0]!;
        const floor = floorMs(id, LATENCY_MS);
        for (let i = 0; i < WARM_UP_OPERATIONS; i += 1) await operation(system.url, body);
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
        if (values.trace) printTrace(readTrace(traceFile), middle, origins);
      }
    } finally {
      await system.process.stop();
      rmSync(traceFile, { force: true });
    }
  } finally {
    await simulators.stop();
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

function readTrace(file: string): TraceEntry[] {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as TraceEntry);
  } catch {
    return [];
  }
}

/**
 * The operation's upstream requests grouped by path and by when they were created (within 2 ms:
 * one tick's batch), relative to when the operation was sent.
 */
function printTrace(entries: TraceEntry[], op: { sentAt: number; endedAt: number }, origins: Map<string, string>): void {
  const mine = entries.filter((e) => e.created >= op.sentAt && e.created <= op.endedAt).sort((a, b) => a.created - b.created);
  const groups: Array<{ label: string; n: number; created: [number, number]; done: [number, number] }> = [];
  for (const e of mine) {
    const label = `${origins.get(e.origin) ?? e.origin} ${e.path.replace(/\/(cus|ch)_\w+/g, '/:id')}`;
    const created = e.created - op.sentAt;
    const done = e.done - op.sentAt;
    const group = groups.find((g) => g.label === label && created - g.created[1] < 2);
    if (group) {
      group.n += 1;
      group.created[1] = created;
      group.done = [Math.min(group.done[0], done), Math.max(group.done[1], done)];
    } else groups.push({ label, n: 1, created: [created, created], done: [done, done] });
  }
  const range = ([a, b]: [number, number]) => (b - a < 0.5 ? a.toFixed(1) : `${a.toFixed(1)}–${b.toFixed(1)}`);
  for (const g of groups) process.stdout.write(`  ${String(g.n).padStart(3)} × ${g.label.padEnd(58)} sent ${range(g.created).padEnd(12)} answered ${range(g.done)}\n`);
  process.stdout.write(`  operation answered at ${(op.endedAt - op.sentAt).toFixed(1)}\n`);
}

main().catch((error: unknown) => {
  killAllServices();
  process.stderr.write(`cold-alone failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
