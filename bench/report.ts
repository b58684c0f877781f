import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { ALONE_SYSTEMS, FLOORS, type AloneLatency, type Floor } from './alone-latency.ts';
import type { BenchOptions } from './bench-options.ts';
import type { LoadResult } from './measure-load.ts';
import { PROVIDERS, type Provider, type Traffic } from './sim-admin.ts';
import { BASELINE, SYSTEMS, type SystemId } from './systems.ts';
import type { RateLimit, Workload, WorkloadId } from './workloads.ts';

/** Bumped when a field changes meaning or goes away. */
export const RESULTS_SCHEMA_VERSION = 1;

export interface UpstreamUse {
  calls: number;
  callsPerOperation: number;
  /** Response body bytes the provider sent. */
  bytes: number;
  bytesPerOperation: number;
  /** 429 answers the system received. */
  rateLimited: number;
  byStatus: Record<string, number>;
}

interface MeasurementBase {
  system: SystemId;
  label: string;
  workload: WorkloadId;
  /** Set when the first attempt failed and this is the second: why the first failed. */
  firstFailure?: string;
}

/** A (system, workload) that was measured. */
export interface Measured extends MeasurementBase {
  status: 'ok';
  load: LoadResult;
  /** Operations sent during the measurement: the divisor of every per-operation figure. */
  operations: number;
  upstream: Record<Provider, UpstreamUse> & { total: UpstreamUse };
  /**
   * Upstream calls of the checked request, sent alone with nothing in flight and, for a cache,
   * nothing cached yet: what one operation costs before concurrency or caching share anything.
   */
  aloneCalls: Record<Provider, number>;
  /** VmHWM of the system's process at the end of the measurement; null where /proc is missing. */
  peakRssBytes: number | null;
  /**
   * The checked request sent again, one at a time, before the warm-up: on the systems that keep
   * nothing between operations (alone-latency.ts), on workloads with a query of their own.
   */
  alone?: AloneLatency;
}

/** A (system, workload) that was not measured, and why. */
export interface NotMeasured extends MeasurementBase {
  /** `skipped`: by design; `mismatch`: its answer differed from Tributary's; `failed`: it broke. */
  status: 'skipped' | 'mismatch' | 'failed';
  reason: string;
}

export type Measurement = Measured | NotMeasured;

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  os: string;
}

export interface BenchResults {
  schemaVersion: number;
  /** `git rev-parse HEAD` of the measured tree, when it is a git checkout. */
  commit: string | null;
  startedAt: string;
  finishedAt: string;
  elapsedSeconds: number;
  machine: Machine;
  options: Omit<BenchOptions, 'outDir' | 'timeLimitSeconds' | 'soak' | 'fairness' | 'redisUrl' | 'aloneRuns'> & { aloneRuns?: number };
  workloads: Array<{
    id: WorkloadId;
    title: string;
    summary: string;
    limits: Record<Provider, RateLimit>;
    floor?: Floor;
    /** The providers' chain (bench/providers-chain.ts) timed alone like the systems; absent where it was not. */
    chain?: ChainLatency;
  }>;
  results: Measurement[];
}

/**
 * The providers' chain's alone latency, and the calls it made per operation (each provider's;
 * absent in the first results files that timed it, whose chain made tributary (cold)'s calls).
 */
export type ChainLatency = AloneLatency & { calls?: Record<Provider, number> };

export function currentCommit(cwd: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

export function describeMachine(): Machine {
  const all = cpus();
  return {
    cpus: all.length,
    cpuModel: all[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${process.platform} ${release()} ${process.arch}`,
  };
}

export function describeWorkload(workload: Workload): BenchResults['workloads'][number] {
  const { roundTrips, why } = FLOORS[workload.id];
  return { id: workload.id, title: workload.title, summary: workload.summary, limits: workload.limits, floor: { roundTrips, why } };
}

/** Turns what the simulators counted into per-operation upstream use. */
export function upstreamUse(traffic: Traffic, operations: number): Measured['upstream'] {
  const per = (value: number) => (operations > 0 ? value / operations : 0);
  const one = (provider: Provider): UpstreamUse => {
    const { requests, bytes, rateLimited, byStatus } = traffic[provider];
    return { calls: requests, callsPerOperation: per(requests), bytes, bytesPerOperation: per(bytes), rateLimited, byStatus };
  };
  const each = { customers: one('customers'), stripe: one('stripe'), hubspot: one('hubspot') };
  const sum = (pick: (use: UpstreamUse) => number) => PROVIDERS.reduce((total, p) => total + pick(each[p]), 0);
  const calls = sum((u) => u.calls);
  const bytes = sum((u) => u.bytes);
  const byStatus: Record<string, number> = {};
  for (const p of PROVIDERS) for (const [status, n] of Object.entries(each[p].byStatus)) byStatus[status] = (byStatus[status] ?? 0) + n;
  return { ...each, total: { calls, callsPerOperation: per(calls), bytes, bytesPerOperation: per(bytes), rateLimited: sum((u) => u.rateLimited), byStatus } };
}

/** Writes `<dir>/<timestamp>.json` and returns its path. */
export function writeResults(dir: string, results: BenchResults): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${results.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

/** The Markdown report: the tables, then what the columns mean. */
export function renderMarkdown(results: BenchResults): string {
  return [...renderTables(results), ...legend(results)].join('\n');
}

/** One table per workload, the ratios of Tributary to every peer, then the alone operations. */
export function renderTables(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const workload of results.workloads) {
    const rows = results.results.filter((m) => m.workload === workload.id);
    if (rows.length === 0) continue;
    lines.push(`#### ${workload.id}: ${workload.title}`, '', table(rows), '');
  }
  const ratios = ratiosTable(results);
  if (ratios !== undefined) lines.push('#### Tributary\'s rate over every peer\'s, same run', '', ratios, '');
  lines.push('#### One operation alone: upstream calls (customers + Stripe + HubSpot)', '', aloneTable(results), '');
  const latency = aloneLatencyTable(results);
  if (latency !== undefined) lines.push('#### One operation alone: latency', '', latency, '');
  return lines;
}

/** Whose rate the ratios table divides, and by whose. */
const RATIO_SUBJECTS: readonly SystemId[] = ['tributary-warm', 'tributary-redis'];
const RATIO_PEERS: readonly SystemId[] = ['ceiling', 'naive', 'datasource-rest', 'tributary-cold', 'tributary-warm'];

/**
 * Rows: each workload's tributary (warm) and, when it ran, tributary (warm, Redis); columns: that
 * rate over each peer's in the same run. Undefined when no subject was measured.
 */
export function ratiosTable(results: BenchResults): string | undefined {
  const rateOf = (system: SystemId, workload: WorkloadId) => {
    const m = results.results.find((r) => r.system === system && r.workload === workload);
    return m?.status === 'ok' ? m.load.requestsPerSecond : undefined;
  };
  const peers = RATIO_PEERS.filter((id) => results.options.systems.includes(id));
  const subjects = RATIO_SUBJECTS.filter((id) => results.options.systems.includes(id));
  const rows: string[][] = [];
  for (const { id: workload } of results.workloads) {
    for (const subject of subjects) {
      const rate = rateOf(subject, workload);
      if (rate === undefined) continue;
      rows.push([workload, SYSTEMS[subject].label, formatNumber(rate), ...peers.map((peer) => (peer === subject ? '1×' : ratio(rate, rateOf(peer, workload))))]);
    }
  }
  if (rows.length === 0) return undefined;
  const header = ['workload', 'system', 'req/s', ...peers.map((peer) => `÷ ${SYSTEMS[peer].label}`)];
  return [header, header.map((_, i) => (i < 2 ? '---' : '---:')), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Rows: (workload, system) with alone latencies; undefined when none was measured. */
export function aloneLatencyTable(results: BenchResults): string | undefined {
  const rows: string[][] = [];
  const signed = (ms: number) => `${ms > 0 ? '+' : ''}${formatNumber(ms)}`;
  const row = (workload: WorkloadId, label: string, { medianMs, p90Ms, floorMs, overFloorMs, samplesMs }: AloneLatency, overChain: string) => {
    const over = overFloorMs === null ? '— (calls no provider)' : signed(overFloorMs);
    rows.push([workload, formatNumber(floorMs), label, String(samplesMs.length), formatNumber(medianMs), formatNumber(p90Ms), over, overChain]);
  };
  for (const { id: workload, chain } of results.workloads) {
    const measured = ALONE_SYSTEMS.flatMap((system) => {
      const m = results.results.find((r) => r.system === system && r.workload === workload);
      return m?.status === 'ok' && m.alone !== undefined ? [{ system, alone: m.alone, calls: m.aloneCalls }] : [];
    });
    if (measured.length === 0) continue;
    if (chain !== undefined) row(workload, CHAIN_LABEL, chain, '—');
    for (const { system, alone, calls } of measured) {
      // Only a system that made the chain's calls has its own share there; another's gap mixes in its call plan.
      const sameCalls = chain !== undefined && (chain.calls === undefined ? system === 'tributary-cold' : PROVIDERS.every((p) => calls[p] === chain.calls?.[p]));
      const overChain = chain === undefined || alone.overFloorMs === null ? '—' : sameCalls ? signed(alone.medianMs - chain.medianMs) : '— (other calls)';
      row(workload, SYSTEMS[system].label, alone, overChain);
    }
  }
  if (rows.length === 0) return undefined;
  const header = ['workload', 'floor ms', 'system', 'operations', 'median ms', 'p90 ms', 'median − floor ms', 'median − chain ms'];
  return [header, header.map((_, i) => (i === 0 || i === 2 ? '---' : '---:')), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** The alone latency table's row for the providers' chain (bench/providers-chain.ts). */
const CHAIN_LABEL = "providers' chain (no gateway)";

const HEADER = [
  'system', 'req/s', '÷ tributary (warm)', '÷ ceiling', 'p50 ms', 'p99 ms', 'errors',
  'customers calls/op', 'Stripe calls/op', 'HubSpot calls/op', 'upstream KiB/op', '429s', 'peak RSS MiB',
];
const RIGHT_ALIGNED = new Set(HEADER.slice(1));

function table(rows: Measurement[]): string {
  const rate = (id: SystemId) => {
    const row = rows.find((m) => m.system === id);
    return row?.status === 'ok' ? row.load.requestsPerSecond : undefined;
  };
  const baseline = rate(BASELINE);
  const ceiling = rate('ceiling');
  const body = rows.map((m) => {
    const label = m.firstFailure === undefined ? m.label : `${m.label} (second attempt; the first failed: ${m.firstFailure})`;
    if (m.status !== 'ok') return [label, `${m.status}: ${m.reason}`, ...HEADER.slice(2).map(() => '')];
    const { load, upstream } = m;
    return [
      label,
      formatNumber(load.requestsPerSecond),
      ratio(load.requestsPerSecond, baseline),
      ratio(load.requestsPerSecond, ceiling),
      formatNumber(load.latencyMs.p50),
      formatNumber(load.latencyMs.p99),
      errors(m),
      formatNumber(upstream.customers.callsPerOperation),
      formatNumber(upstream.stripe.callsPerOperation),
      formatNumber(upstream.hubspot.callsPerOperation),
      formatNumber(upstream.total.bytesPerOperation / 1024),
      String(upstream.total.rateLimited),
      m.peakRssBytes === null ? '—' : formatNumber(m.peakRssBytes / 2 ** 20, 0),
    ];
  });
  const align = HEADER.map((name) => (RIGHT_ALIGNED.has(name) ? '---:' : '---'));
  return [HEADER, align, ...body].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Rows: systems; columns: workloads; cells: the checked request's calls, by provider. */
function aloneTable(results: BenchResults): string {
  const workloads = results.workloads.map((w) => w.id);
  const rows = results.options.systems.map((system) => {
    const cells = workloads.map((workload) => {
      const m = results.results.find((r) => r.system === system && r.workload === workload);
      if (m?.status !== 'ok') return '—';
      const { customers, stripe, hubspot } = m.aloneCalls;
      return `${customers} + ${stripe} + ${hubspot} = ${customers + stripe + hubspot}`;
    });
    return [SYSTEMS[system].label, ...cells];
  });
  const header = ['system', ...workloads];
  return [header, header.map((_, i) => (i === 0 ? '---' : '---:')), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function errors(m: Measured): string {
  const { total } = m.load.errors;
  if (total === 0) return '0';
  const share = m.load.responses > 0 ? ` (${formatNumber((100 * total) / Math.max(m.load.responses, total))} %)` : '';
  return `${total}${share}`;
}

function ratio(value: number, against: number | undefined): string {
  if (against === undefined || against === 0) return '—';
  return `${formatNumber(value / against)}×`;
}

/**
 * About three significant digits, never more than `maxDecimals` after the point:
 * 12 345, 123, 12.3, 1.23, 0.12, 0.0018.
 */
export function formatNumber(value: number, maxDecimals = 4): string {
  if (!Number.isFinite(value)) return '—';
  const magnitude = Math.abs(value);
  const decimals = value === 0 || magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 0.1 ? 2 : 1 - Math.floor(Math.log10(magnitude));
  const text = value.toFixed(Math.min(decimals, maxDecimals));
  const [whole = '', fraction] = text.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return fraction === undefined ? grouped : `${grouped}.${fraction.replace(/0+$/, '') || '0'}`.replace(/\.0$/, '');
}

/** The paragraphs after the tables, by name, so that the README can take some of them. */
export interface LegendParts {
  systems: string;
  workloads: string;
  measured: string;
  columns: string;
  /** Absent when no alone latency was measured. */
  alone?: string;
  machine: string;
}

/** Every paragraph after the tables: systems, workloads, how it was measured, columns, machine. */
export function legend(results: BenchResults): string[] {
  const parts = legendParts(results);
  return [parts.systems, parts.workloads, parts.measured, parts.columns, parts.alone, parts.machine].filter((p) => p !== undefined).flatMap((p) => [p, '']).slice(0, -1);
}

export function legendParts(results: BenchResults): LegendParts {
  const { options, machine } = results;
  const limits = results.workloads.find((w) => w.id !== 'W4')?.limits.stripe;
  const alone = aloneLegend(results);
  return {
    systems: '**Systems.** ' + Object.values(SYSTEMS).filter((s) => options.systems.includes(s.id)).map((s) => `*${s.label}*: ${s.summary}`).join(' '),
    workloads: '**Workloads.** ' + results.workloads.map((w) => `*${w.id}*: ${w.summary}`).join(' '),
    measured:
      `**How it was measured.** Each system runs as its own process, started fresh for each workload, against the same three ` +
      `simulators (another process) adding ${options.latencyMs} ms to every answer. autocannon runs ${options.connections} ` +
      `closed-loop connections: ${options.warmupSeconds} s of warm-up (not counted), then ${options.durationSeconds} s measured. ` +
      `Before measuring, each system's answer to the workload's first request is compared with Tributary's (\`data\` deep-equal). ` +
      (limits ? `For W0–W3 every provider allows ${formatNumber(limits.limit)} requests per ${limits.windowMs / 1000} s, so that the real quotas do not measure all systems the same; ` : '') +
      `W4 holds HubSpot to its real limit.` +
      (options.nodeArgs.length > 0 ? ` The systems ran with \`node ${options.nodeArgs.join(' ')}\`.` : '') +
      (options.compiled && options.nodeArgs.length === 0 && options.tributaryNodeArgs?.length
        ? ` Tributary ran as the Dockerfile runs it: \`node ${options.tributaryNodeArgs.join(' ')} dist/main.js\`.`
        : ''),
    columns:
      '**Columns.** *req/s*: responses per second, any status. *÷*: that rate divided by tributary (warm)\'s and by the ceiling\'s ' +
      '(and, in the ratios table, by every peer\'s in the same run). ' +
      '*p50/p99*: response time percentiles of every response. *errors*: responses that were not HTTP 2xx, plus 2xx responses ' +
      'carrying GraphQL `errors` (partial results included), plus timeouts and connection errors; in brackets, the share of ' +
      'responses. *calls/op*: requests each provider counted during the measurement (its `/_sim/stats`), divided by the ' +
      'operations sent; concurrent operations share calls where a system coalesces them, so see also *one operation alone*, ' +
      'the upstream calls of the single request checked before the warm-up (nothing cached, nothing else in flight). ' +
      '*upstream KiB/op*: response bytes the providers sent, per operation. *429s*: rate-limited answers the ' +
      'providers gave. *peak RSS*: the system process\'s VmHWM at the end of the measurement.',
    ...(alone === undefined ? {} : { alone }),
    machine:
      `Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}` +
      `${results.commit ? `; commit ${results.commit.slice(0, 7)}` : ''}. ` +
      'The load generator, the simulators and the system under test share these cores.',
  };
}

function aloneLegend(results: BenchResults): string | undefined {
  if (!results.results.some((m) => m.status === 'ok' && m.alone !== undefined)) return undefined;
  const floors = results.workloads
    .filter((w) => w.floor !== undefined && FLOORS[w.id].sameAs === undefined)
    .map((w) => `${w.id} ${w.floor?.roundTrips} (${w.floor?.why})`)
    .join('; ');
  return (
    `**One operation alone: latency.** Before the warm-up, the workload's first request is sent ${results.options.aloneRuns ?? '?'} times, ` +
    'one after another, with nothing else in flight, and timed from the bench\'s side (HTTP included). Only on the systems that keep ' +
    `nothing between operations (${ALONE_SYSTEMS.map((id) => SYSTEMS[id].label).join(', ')}), so every one is as cold as the first; ` +
    'the systems with a cache would answer all but the first from it. W3 and W4 send W1\'s query and are not timed again. ' +
    `The *floor* is the chained upstream round trips of the workload's critical path times the simulators' ${results.options.latencyMs} ms: ${floors}.` +
    (results.workloads.some((w) => w.chain !== undefined)
      ? ` *${CHAIN_LABEL}*: the same upstream requests as tributary (cold)'s for one operation, sent by the bench itself with bare undici, each as soon as ` +
        'its inputs are known, and nothing else done (no GraphQL, no validation, no answer to build; bench/providers-chain.ts), timed the same way ' +
        'just after the reference answers: what the simulators and the wire alone cost on this machine, the least a gateway making these calls could ' +
        'reach, less its client\'s own HTTP exchange with it. *median − chain*: the median over the chain\'s of a system that made the same calls ' +
        '(per provider, one operation alone), its own share; "other calls" where a system made others.'
      : '')
  );
}
