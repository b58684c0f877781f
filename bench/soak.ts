/**
 * Soak mode (`npm run bench -- --soak <s>`): one system on one workload under closed-loop load
 * for a long time, its process's memory sampled every few seconds. Where the comparison run asks
 * "how fast", this asks "does it stay within its memory, and does that memory stop growing": the
 * hardening issue's target is the warm gateway under W3 below 200 MiB RSS and flat for 10 minutes.
 *
 * RSS comes from /proc/<pid>/status, as the comparison's peak RSS does; V8's heap and the garbage
 * collector's counts come from bench/memory-probe.ts, loaded into the system with `--import` and
 * asked over an IPC channel, so a sample says whether growth is in the JS heap or outside it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchOptions, SoakOptions } from './bench-options.ts';
import { measureLoad, type LoadResult } from './measure-load.ts';
import { formatNumber, upstreamUse, type Machine, type UpstreamUse } from './report.ts';
import { trafficBetween, type Provider, type SimAdmin } from './sim-admin.ts';
import type { SimulatorAddresses } from './simulators-process.ts';
import { summarizeSoak, thin, FLAT_SLOPE_MIB_PER_MINUTE, RSS_TARGET_BYTES, SETTLED_AT_SECONDS, type MemorySample, type SoakSummary } from './soak-stats.ts';
import { faults, startSystem } from './start-system.ts';
import type { RedisTarget, SystemSpec } from './systems.ts';
import type { Workload } from './workloads.ts';

/** Bumped when a field changes meaning or goes away. */
export const SOAK_SCHEMA_VERSION = 1;

/** Rows of the printed samples table; the JSON keeps every sample. */
const PRINTED_SAMPLES = 21;

export interface SoakResults {
  schemaVersion: number;
  kind: 'soak';
  commit: string | null;
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  /** The 1-minute load average when the soak started: other work on the machine skews req/s. */
  loadAverageAtStart: number;
  system: SystemSpec['id'];
  workload: Workload['id'];
  /** `nodeArgs`: the flags the soaked process ran with, whether from `--node-args` or the Dockerfile's. */
  options: Pick<BenchOptions, 'latencyMs' | 'warmupSeconds' | 'connections' | 'nodeArgs' | 'compiled'> & SoakOptions;
  /** RSS after start-up, before any request. */
  idleRssBytes: number | null;
  load: LoadResult;
  upstream: Record<Provider, UpstreamUse> & { total: UpstreamUse };
  summary: SoakSummary;
  samples: MemorySample[];
}

export interface SoakContext {
  options: BenchOptions & { soak: SoakOptions };
  sims: SimulatorAddresses;
  admin: SimAdmin;
  /** The ceiling's answers file; '' for every other system. */
  answersFile: string;
  progress: (line: string) => void;
  /** For tributary-redis: its Redis and key prefix. */
  redis?: RedisTarget;
}

/** Starts the system, warms it up, loads it for the soak's length while sampling, stops it. */
export async function runSoak(context: SoakContext, spec: SystemSpec, workload: Workload): Promise<Omit<SoakResults, 'schemaVersion' | 'kind' | 'commit' | 'startedAt' | 'finishedAt' | 'machine' | 'loadAverageAtStart'>> {
  const { options, admin, progress } = context;
  const { soak } = options;
  // The flags the soaked process really ran with (Tributary's may come from the Dockerfile), as the results say.
  const nodeArgs = spec.script === 'src/main.ts' && options.tributaryNodeArgs !== undefined ? options.tributaryNodeArgs : options.nodeArgs;
  const system = await startSystem(spec, { sims: context.sims, limits: workload.limits, answersFile: context.answersFile, ...(context.redis ? { redis: context.redis } : {}) }, spec.id, {
    nodeArgs,
    compiled: options.compiled,
    memoryProbe: true,
  });
  try {
    const idleRssBytes = system.process.rssBytes() ?? null;
    await admin.resetWith(faults(options.latencyMs, workload.limits));
    const load = { url: system.url, bodies: workload.bodies, pick: workload.pick, connections: options.connections };
    if (options.warmupSeconds > 0) await measureLoad({ ...load, durationSeconds: options.warmupSeconds, seed: 7 });

    const samples: MemorySample[] = [];
    let responses = 0;
    const started = performance.now();
    const sample = async () => {
      const atSeconds = Math.round((performance.now() - started) / 100) / 10;
      const rssBytes = system.process.rssBytes();
      const cpuSeconds = system.process.cpuSeconds();
      const memory = await system.process.memory();
      if (rssBytes === undefined) return;
      samples.push({
        atSeconds,
        rssBytes,
        ...(cpuSeconds === undefined ? {} : { cpuSeconds }),
        ...(memory ? { heapUsedBytes: memory.heapUsed, heapTotalBytes: memory.heapTotal, externalBytes: memory.external, spaces: memory.spaces, gc: memory.gc } : {}),
        responses,
      });
      responses = 0;
    };
    let sampling = Promise.resolve();
    const timer = setInterval(() => {
      sampling = sampling.then(sample);
    }, soak.sampleSeconds * 1000);
    const report = setInterval(() => {
      const last = samples[samples.length - 1];
      if (last) progress(`soak: ${Math.round(last.atSeconds)} s of ${soak.seconds}, RSS ${mib(last.rssBytes)} MiB, heap used ${last.heapUsedBytes === undefined ? '?' : mib(last.heapUsedBytes)} MiB`);
    }, 60_000);

    await sample();
    const before = await admin.settle();
    let result: LoadResult;
    try {
      result = await measureLoad({ ...load, durationSeconds: soak.seconds, seed: 42, onResponse: () => (responses += 1) });
    } finally {
      clearInterval(timer);
      clearInterval(report);
      await sampling;
    }
    await sample();
    const after = await admin.settle();
    if (!system.process.running) throw new Error(`${spec.id} exited (${system.process.exitStatus}) during the soak`);
    const peakRssBytes = system.process.peakRssBytes() ?? null;
    return {
      system: spec.id,
      workload: workload.id,
      options: { latencyMs: options.latencyMs, warmupSeconds: options.warmupSeconds, connections: options.connections, nodeArgs, compiled: options.compiled, ...soak },
      idleRssBytes,
      load: result,
      upstream: upstreamUse(trafficBetween(before, after), result.sent),
      summary: summarizeSoak(samples, soak.seconds, peakRssBytes),
      samples,
    };
  } finally {
    await system.process.stop();
  }
}

/** Writes `<dir>/soak-<timestamp>.json` and returns its path. */
export function writeSoakResults(dir: string, results: SoakResults): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `soak-${results.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

/** The printed report: the verdict, a summary table, then the samples (thinned). */
export function renderSoakMarkdown(results: SoakResults): string {
  return [`#### Soak: ${results.system} on ${results.workload}, ${results.options.seconds} s`, '', renderSoakBody(results)].join('\n');
}

/** The report without its heading: what the README's soak section is regenerated from. */
export function renderSoakBody(results: SoakResults): string {
  const { summary, load, options, machine } = results;
  const verdict = (value: boolean | null, yes: string, no: string) => (value === null ? 'unknown' : value ? yes : no);
  const lines = [
    `| peak RSS MiB | RSS start / middle / end MiB | RSS slope, 2nd half, MiB/min | RSS growth after ${SETTLED_AT_SECONDS} s MiB | heap used start / middle / end MiB | heap slope MiB/min | req/s | CPU ms/response | p99 ms | errors | 429s |`,
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${summary.peakRssBytes === null ? '—' : mib(summary.peakRssBytes)} | ${triple(summary.rssBytes)} | ${signed(summary.rssSlopeMiBPerMinute)} | ${summary.rssGrowthAfterSettledBytes === null ? '—' : signed(summary.rssGrowthAfterSettledBytes / 2 ** 20)} | ${summary.heapUsedBytes ? triple(summary.heapUsedBytes) : '—'} | ${signed(summary.heapSlopeMiBPerMinute)} | ${formatNumber(load.requestsPerSecond)} | ${summary.cpuMsPerResponse === null ? '—' : formatNumber(summary.cpuMsPerResponse)} | ${formatNumber(load.latencyMs.p99)} | ${load.errors.total} | ${results.upstream.total.rateLimited} |`,
    '',
    `Target (issues 9 and 13): peak RSS under ${mib(RSS_TARGET_BYTES)} MiB: **${verdict(summary.underTarget, 'met', 'missed')}**; ` +
      `flat (second-half slope under ${FLAT_SLOPE_MIB_PER_MINUTE} MiB/min): **${verdict(summary.flat, 'yes', 'no')}**.`,
    '',
    '| s | RSS MiB | heap used MiB | heap total MiB | external MiB | GCs minor / major | req/s since last |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  let previousAt = 0;
  const rates = new Map(results.samples.map((s) => {
    const rate = s.atSeconds > previousAt ? s.responses / (s.atSeconds - previousAt) : 0;
    previousAt = s.atSeconds;
    return [s, rate] as const;
  }));
  for (const s of thin(results.samples, PRINTED_SAMPLES)) {
    lines.push(
      `| ${formatNumber(s.atSeconds)} | ${mib(s.rssBytes)} | ${optionalMib(s.heapUsedBytes)} | ${optionalMib(s.heapTotalBytes)} | ${optionalMib(s.externalBytes)} | ` +
        `${s.gc ? `${s.gc.minor} / ${s.gc.major}` : '—'} | ${formatNumber(rates.get(s) ?? 0)} |`,
    );
  }
  lines.push(
    '',
    `Measured after ${options.warmupSeconds} s of warm-up, ${options.connections} closed-loop connections, simulators adding ${options.latencyMs} ms, ` +
      `a sample every ${options.sampleSeconds} s${options.nodeArgs.length > 0 ? `, the system run with \`node ${options.nodeArgs.join(' ')}\`` : ''}; ` +
      `idle RSS before the load ${results.idleRssBytes === null ? '—' : mib(results.idleRssBytes)} MiB. ` +
      `Machine: ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, load average ${results.loadAverageAtStart.toFixed(1)} at the start` +
      `${results.commit ? `; commit ${results.commit.slice(0, 7)}` : ''}.`,
  );
  return lines.join('\n');
}

function mib(bytes: number): string {
  return formatNumber(bytes / 2 ** 20, 0);
}

function optionalMib(bytes: number | undefined): string {
  return bytes === undefined ? '—' : mib(bytes);
}

function triple(levels: { start: number; middle: number; end: number }): string {
  return `${mib(levels.start)} / ${mib(levels.middle)} / ${mib(levels.end)}`;
}

function signed(value: number | null): string {
  if (value === null) return '—';
  return `${value > 0 ? '+' : ''}${formatNumber(value)}`;
}
