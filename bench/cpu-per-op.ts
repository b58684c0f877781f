/**
 * `npx tsx bench/cpu-per-op.ts [--workload W0] [--count 20000] [--rounds 5] [--connections 10]
 *   [--system naive] [--system tributary-warm=dist] [--system tributary-cold=.scratch/dist-base]…`
 *
 * The CPU each system's process spends per operation (utime + stime from /proc, before and after
 * a fixed number of requests), which a machine loaded by others disturbs far less than a rate.
 * Every system runs side by side, idle when not measured; each round measures them one after
 * the other, so before and after builds meet the same conditions, and the medians are printed.
 * `id=DIR` runs a Tributary system from a compiled build in DIR (`npm run build`'s `dist`, or a
 * copy of it two levels below the repository root, beside links to `schema` and `node_modules`);
 * `id=DIR,NAME=value,…` also sets those variables on top of the system's environment, to price a
 * feature by turning it off (`UPSTREAM_REPORT=false`). Tributary's systems run with the node flags
 * of the Dockerfile's CMD, as `npm run bench -- --compiled` runs them, and peers with none;
 * `id=DIR,--flag,--other-flag` gives a system its own (`--none` for none).
 * `--otlp-sink` starts an OTLP/HTTP receiver that discards what it gets (bench/otlp-sink.ts) and
 * puts its URL wherever a setting says `$OTLP_SINK`, to price tracing:
 * `--otlp-sink --system tributary-warm=dist --system tributary-warm=dist,OTEL_EXPORTER_OTLP_ENDPOINT=$OTLP_SINK`.
 */
import autocannon from 'autocannon';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { BENCH_HEADERS } from './bench-credentials.ts';
import { deployedNodeFlags } from './deployed-launch.ts';
import { SimAdmin } from './sim-admin.ts';
import type { SimulatorAddresses } from './simulators-process.ts';
import { killAllServices, ServiceProcess } from './service-process.ts';
import { faults, raisedLimits, startSystem, type RunningSystem } from './start-system.ts';
import { SYSTEMS, type SystemId } from './systems.ts';
import { buildWorkloads, type WorkloadId } from './workloads.ts';
import { startOtlpSink, type OtlpSink } from './otlp-sink.ts';

const WARM_UP_REQUESTS = 5000; // JIT, sockets and (warm) the result cache, before the first round

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      workload: { type: 'string', default: 'W0' },
      count: { type: 'string', default: '20000' },
      rounds: { type: 'string', default: '5' },
      connections: { type: 'string', default: '10' },
      system: { type: 'string', multiple: true, default: ['naive', 'tributary-warm=dist'] },
      'otlp-sink': { type: 'boolean', default: false },
    },
  });
  const count = Number(values.count);
  const rounds = Number(values.rounds);
  const connections = Number(values.connections);
  const body = buildWorkloads(100)[values.workload as WorkloadId].bodies[0]!;
  const simulators = new ServiceProcess('simulators', 'bench/simulators-process.ts', {}, { keepStdin: true });
  const running: Array<{ label: string; system: RunningSystem }> = [];
  let sink: OtlpSink | undefined;
  try {
    if (values['otlp-sink']) sink = await startOtlpSink();
    const sims = JSON.parse(await simulators.firstLine(30_000)) as SimulatorAddresses;
    const limits = raisedLimits();
    await new SimAdmin(sims).resetWith(faults(0, limits));
    for (const entry of values.system) {
      const [system, ...parts] = entry.split(',');
      const flags = parts.filter((part) => part.startsWith('--'));
      const settings = parts.filter((part) => !part.startsWith('--'));
      const [id, dist] = system!.split('=') as [SystemId, string | undefined];
      const extra = Object.fromEntries(settings.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1).replace('$OTLP_SINK', sink?.url ?? '$OTLP_SINK')]));
      const base = SYSTEMS[id];
      const spec = { ...base, ...(dist === undefined ? {} : { script: `${dist}/main.js` }), env: (context: Parameters<typeof base.env>[0]) => ({ ...base.env(context), ...extra }) };
      const nodeArgs = flags.length > 0 ? flags.filter((flag) => flag !== '--none') : id.startsWith('tributary') ? deployedNodeFlags() : [];
      const started = await startSystem(spec, { sims, limits, answersFile: '' }, entry, { nodeArgs });
      await load(started.url, body, WARM_UP_REQUESTS, connections);
      running.push({ label: entry, system: started });
    }
    const samples = new Map<string, number[]>(running.map(({ label }) => [label, []]));
    for (let round = 0; round < rounds; round += 1) {
      for (const { label, system } of running) {
        const before = system.process.cpuSeconds() ?? NaN;
        await load(system.url, body, count, connections);
        const usPerOp = (((system.process.cpuSeconds() ?? NaN) - before) * 1e6) / count;
        samples.get(label)!.push(usPerOp);
      }
      process.stdout.write(`round ${round + 1}: ${running.map(({ label }) => `${label} ${samples.get(label)!.at(-1)!.toFixed(1)}`).join(', ')} µs/op (load ${loadavg()[0]!.toFixed(2)})\n`);
    }
    for (const [label, list] of samples) {
      const sorted = [...list].sort((a, b) => a - b);
      process.stdout.write(`${label}: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} µs/op (min ${sorted[0]!.toFixed(1)}, max ${sorted.at(-1)!.toFixed(1)})\n`);
    }
    if (sink) process.stdout.write(`OTLP sink: ${sink.received().requests} exports, ${sink.received().bytes} bytes\n`);
  } finally {
    await sink?.close();
    for (const { system } of running) await system.process.stop();
    await simulators.stop();
    killAllServices();
  }
}

/** Exactly `amount` requests; refuses a run where any answer was not a 2xx without `errors`. */
async function load(url: string, body: string, amount: number, connections: number): Promise<void> {
  let bad = 0;
  const result = await autocannon({
    url,
    connections,
    amount,
    requests: [{ method: 'POST', headers: BENCH_HEADERS, body, onResponse: (status, text) => void (status !== 200 || text.includes('"errors":') ? (bad += 1) : 0) }],
  });
  if (bad > 0 || result.errors > 0) throw new Error(`${url}: ${bad} bad answers, ${result.errors} errors`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
